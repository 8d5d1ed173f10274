#!/usr/bin/env bash
# Append latency while the retention sweeper deletes a large backlog, against the same
# load without a backlog, interleaved REPS times (default 2):
#   bench/retention-sweep.sh [BIN]
# The backlog: BACKLOG_S seconds (default 6) of publishes with store.sync async, then the
# node is restarted with retention.max_age_ms 5000, so all of it is old and swept while
# the measured load runs (durable publishes, store.sync full, 8 publishers, 16 in flight
# each, 10 s). Prints ack p50/p99 of both and their ratio; JSON lines go to $OUT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/release/runtime/switchyard}
gen=${GEN:-$root/build/release/bench/loadgen/switchyard-bench}
reps=${REPS:-2}
backlog_s=${BACKLOG_S:-6}
out=${OUT:-/tmp/switchyard-sweep}
rm -rf "$out" && mkdir -p "$out"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
    sleep 0.1
  done
}

# measure NAME DATA_DIR NODE-ARGS...: a node on DATA_DIR, the measured load, stop.
measure() {
  local name=$1 dir=$2 port pid
  shift 2
  port=$(free_port)
  "$bin" --port "$port" --data-dir "$dir" --log-level info "$@" 2>>"$out/$name.node.log" &
  pid=$!
  wait_port "$port"
  "$gen" --port "$port" --server-pid "$pid" --scenario publish --pubs 8 --inflight 16 \
    --duration 10 >>"$out/$name.jsonl" 2>>"$out/$name.gen.log" || echo "run failed: $name" >&2
  kill -TERM "$pid" && wait "$pid" || true
}

for r in $(seq "$reps"); do
  echo "rep $r: loading a backlog for ${backlog_s}s" >&2
  backlog="$out/backlog-$r"
  port=$(free_port)
  "$bin" --port "$port" --data-dir "$backlog" --store-sync async --log-level warn \
    2>>"$out/load.node.log" &
  pid=$!
  wait_port "$port"
  "$gen" --port "$port" --scenario publish --pubs 4 --inflight 256 --duration "$backlog_s" \
    >>"$out/load.jsonl" 2>>"$out/load.gen.log"
  kill -TERM "$pid" && wait "$pid" || true
  sleep 6 # the whole backlog is older than 5 s now
  echo "rep $r: without sweeping" >&2
  measure quiet "$out/fresh-$r"
  echo "rep $r: while sweeping $(du -sh "$backlog" | cut -f1)" >&2
  measure sweeping "$backlog" --retention-max-age-ms 5000 --retention-sweep-ms 100
  rm -rf "$out/fresh-$r" "$backlog"
done

python3 - "$out" <<'EOF'
import json, statistics, sys, os
out = sys.argv[1]
def runs(name):
    return [json.loads(l) for l in open(os.path.join(out, name + ".jsonl")) if l.strip()]
loaded = sum(r["acked"] for r in runs("load"))
q, s = runs("quiet"), runs("sweeping")
def med(rs, key):
    return statistics.median(r["ack_latency_ms"][key] for r in rs)
swept = sum(int(w.split("=")[1]) for l in open(os.path.join(out, "sweeping.node.log"))
            if "store.swept" in l for w in l.split() if w.startswith("events="))
print(f"backlog events loaded: {loaded}, swept during the measured runs: {swept}")
for name, rs in (("without sweeping", q), ("while sweeping", s)):
    print(f"{name}: acked/s {statistics.median(r['acked_per_s'] for r in rs):.0f}, "
          f"p50 {med(rs, 'p50'):.2f} ms, p99 {med(rs, 'p99'):.2f} ms")
print(f"p99 ratio (sweeping / without): {med(s, 'p99') / med(q, 'p99'):.2f}")
EOF
