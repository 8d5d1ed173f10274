#!/usr/bin/env bash
# Cluster benchmarks (docs/cluster.md), etcd and three nodes on loopback.
# 1. Ownership times, per run: how long until every shard is owned by a live member
#    again, as a surviving node's /admin/v1/cluster shows it:
#      failover  a node killed with SIGKILL (its shards move when etcd expires its lease)
#      leave     a node stopped with SIGTERM (it revokes its lease: its shards move at once)
#      join      the node started again (timed from its launch: process start included)
# 2. For cluster.replication 1 and 2 (a fresh cluster each), per run:
#    publish  switchyard-bench --scenario publish (8 publishers on topics pub/0..7, acked,
#             window 256) for PUB_S seconds entering the cluster at the node that owns the
#             fewest of those topics (the others are forwarded to their owners)
#    fanout   switchyard-bench --scenario fanout (100 subscribers on the topic's owner, one
#             publisher entering another node: every publish forwarded, and with R=2 copied
#             to a follower before it is delivered) for PUB_S seconds
#    and the same two against a single node, one after the other: acked publishes/s and
#    p99, deliveries/s and p99 delivery latency.
#   bench/cluster.sh [REPS]
# SWITCHYARD_BIN and GEN override the node and generator (default build/release);
# LEASE_MS (default 3000, the node's default) is cluster.lease_ttl_ms. Logs go to $OUT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-5}
bin=${SWITCHYARD_BIN:-$root/build/release/runtime/switchyard}
gen=${GEN:-$root/build/release/bench/loadgen/switchyard-bench}
pub_s=${PUB_S:-5}
lease=${LEASE_MS:-3000}
out=${OUT:-/tmp/switchyard-cluster}
rm -rf "$out" && mkdir -p "$out"
. "$root/bench/lib.sh"

etcd_port=$(free_port)
"$root/tools/etcd-loopback.sh" "$out/etcd" "$etcd_port" "$(free_port)" 2>"$out/etcd.log" &
etcd_pid=$!
declare -A pids ports
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  kill "$etcd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$etcd_port") 2>/dev/null && break
  sleep 0.1
done

replication=1
start_node() { # NAME (cluster.replication $replication, data in $out/r$replication)
  local name=$1 port
  port=$(free_port)
  "$bin" --port "$port" --data-dir "$out/r$replication/$name" --node-name "$name" \
    --log-level info --cluster-etcd "http://127.0.0.1:$etcd_port" \
    --cluster-lease-ttl-ms "$lease" --cluster-peer-port 0 --cluster-replication "$replication" \
    2>>"$out/$name.log" &
  pids[$name]=$!
  ports[$name]=$port
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
  done
}

# settled PORT MEMBERS...: waits until the node at PORT sees exactly MEMBERS with every
# shard owned by one of them; prints the ms since $t0 (ns, date +%s%N).
settled() {
  local port=$1; shift
  python3 - "$port" "$t0" "$@" <<'EOF'
import json, sys, time, urllib.request
port, t0, members = sys.argv[1], int(sys.argv[2]), set(sys.argv[3:])
deadline = time.time() + 60
while time.time() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/v1/cluster", timeout=2) as r:
            view = json.load(r)
        seen = {m["node"] for m in view["members"]}
        if seen == members and all(s["owner"] in members for s in view["shards"]):
            print((time.time_ns() - t0) // 1_000_000)
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.01)
print("timeout")
sys.exit(1)
EOF
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

for n in a b c; do start_node "$n"; done
t0=$(date +%s%N)
settled "${ports[a]}" a b c >/dev/null
for rep in $(seq "$reps"); do
  t0=$(date +%s%N)
  kill -KILL "${pids[c]}"
  failover=$(settled "${ports[a]}" a b)
  wait "${pids[c]}" 2>/dev/null || true
  t0=$(date +%s%N)
  start_node c
  join=$(settled "${ports[a]}" a b c)
  t0=$(date +%s%N)
  kill -TERM "${pids[c]}"
  leave=$(settled "${ports[a]}" a b)
  wait "${pids[c]}" 2>/dev/null || true
  start_node c
  t0=$(date +%s%N)
  settled "${ports[a]}" a b c >/dev/null
  echo "run $rep/$reps: failover ${failover} ms  join ${join} ms  leave ${leave} ms" >&2
  echo "$failover" >>"$out/failover"
  echo "$join" >>"$out/join"
  echo "$leave" >>"$out/leave"
done

# owners PORT TOPIC...: the owner of each topic of tenant default (FNV-1a of the topic
# key, mod 256, looked up in the node's shard map), one a line.
owners() {
  python3 - "$@" <<'EOF'
import json, sys, urllib.request
view = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/admin/v1/cluster"))
owner = {s["shard"]: s["owner"] for s in view["shards"]}
def shard(tenant, topic):
    h = 2166136261
    for c in bytes([len(tenant)]) + tenant.encode() + topic.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h % 256
for topic in sys.argv[2:]:
    print(owner[shard("default", topic)])
EOF
}

pub_line() { python3 -c 'import json,sys; r=json.loads(sys.stdin.readlines()[-1]); print(r["acked_per_s"], r["ack_latency_ms"]["p99"])'; }
fan_line() { python3 -c 'import json,sys; r=json.loads(sys.stdin.readlines()[-1]); print(r["deliveries_per_s"], r["latency_ms"]["p99"])'; }
summary=()
for replication in 1 2; do
  for n in a b c; do kill -TERM "${pids[$n]}" 2>/dev/null || true; wait "${pids[$n]}" 2>/dev/null || true; done
  for n in a b c; do start_node "$n"; done
  t0=$(date +%s%N)
  settled "${ports[a]}" a b c >/dev/null
  # Publishes enter at the node owning the fewest of pub/0..7.
  mapfile -t pub_owners < <(owners "${ports[a]}" pub/{0..7})
  entry_node=a; forwarded=0
  for n in a b c; do
    f=0; for o in "${pub_owners[@]}"; do [ "$o" != "$n" ] && f=$((f + 1)); done
    if [ "$f" -gt "$forwarded" ]; then entry_node=$n; forwarded=$f; fi
  done
  # Fanout: subscribers on the owner of `bench`, the publisher on another node.
  fan_owner=$(owners "${ports[a]}" bench)
  fan_entry=a; [ "$fan_owner" = a ] && fan_entry=b
  tag="r$replication"
  for rep in $(seq "$reps"); do
    "$gen" --port "${ports[$entry_node]}" --scenario publish --duration "$pub_s" \
      >"$out/$tag-pub.$rep.json" 2>>"$out/gen.log"
    read -r c_rate c_p99 < <(pub_line <"$out/$tag-pub.$rep.json")
    "$gen" --port "${ports[$fan_owner]}" --pub-port "${ports[$fan_entry]}" --scenario fanout \
      --duration "$pub_s" >"$out/$tag-fan.$rep.json" 2>>"$out/gen.log"
    read -r f_rate f_p99 < <(fan_line <"$out/$tag-fan.$rep.json")
    run_fresh single "$bin" -- --scenario publish --duration "$pub_s"
    read -r s_rate s_p99 < <(pub_line <"$out/single.jsonl")
    run_fresh single-fan "$bin" -- --scenario fanout --duration "$pub_s"
    read -r sf_rate sf_p99 < <(fan_line <"$out/single-fan.jsonl")
    echo "run $rep/$reps R=$replication: publish entering $entry_node ($forwarded of 8 topics" \
      "forwarded) $c_rate/s p99 $c_p99 ms, single node $s_rate/s p99 $s_p99 ms;" \
      "fanout (publisher on $fan_entry, subscribers on $fan_owner) $f_rate/s p99 $f_p99 ms," \
      "single node $sf_rate/s p99 $sf_p99 ms" >&2
    for v in c_rate c_p99 f_rate f_p99 s_rate s_p99 sf_rate sf_p99; do
      echo "${!v}" >>"$out/$tag-$v"
    done
  done
  summary+=("R=$replication: acked publishes entering $entry_node ($forwarded of 8 forwarded):"
    "$(median <"$out/$tag-c_rate")/s p99 $(median <"$out/$tag-c_p99") ms, single node"
    "$(median <"$out/$tag-s_rate")/s p99 $(median <"$out/$tag-s_p99") ms; fanout with the"
    "publisher on another node: $(median <"$out/$tag-f_rate") deliveries/s p99"
    "$(median <"$out/$tag-f_p99") ms, single node $(median <"$out/$tag-sf_rate")/s p99"
    "$(median <"$out/$tag-sf_p99") ms"$'\n')
done

echo "lease ${lease} ms, ${reps} runs, medians: failover $(median <"$out/failover") ms," \
  "join $(median <"$out/join") ms, leave $(median <"$out/leave") ms"
printf '%s ' "${summary[@]}"
