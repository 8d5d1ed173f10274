#!/usr/bin/env bash
# Noisy neighbour: tenant `steady` runs a fanout of 50k deliveries/s (100 subscribers,
# 500 publishes/s, durable) alone ("quiet") and while tenant `noisy` floods publishes
# past its rate and opens connections past its max_connections ("noisy"), the two
# phases interleaved REPS times on one node. Prints steady's latency (p50/p99/p99.9) per
# phase with the noisy/quiet ratio of the p99 medians, what the noisy tenant was
# answered (throttled, circuit_open, slow_down pushes), and the node's anonymous memory:
# its peak during the noisy phases over its peak in the first quiet one (sampled by the
# steady generator itself: nothing else runs on the cores while it measures).
#   bench/noisy-neighbour.sh [REPS]
# SWITCHYARD_BIN and GEN override the node and generator (default: build/release);
# DURATION (s, default 12) is each phase's publishing time; NOISY_RATE (default 500) is
# the noisy tenant's publish_per_s; NODE_ARGS are added to the node's command line. The
# breaker cools down in 5 s (not the default 30 s) so that every noisy phase starts with
# it closed and floods the same way. JSON lines go to $OUT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
bin=${SWITCHYARD_BIN:-$root/build/release/runtime/switchyard}
gen=${GEN:-$root/build/release/bench/loadgen/switchyard-bench}
duration=${DURATION:-12}
out=${OUT:-/tmp/switchyard-noisy}
rm -rf "$out" && mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"

secret=noisy-neighbour-benchmark-key-of-32-bytes-or-more
token() {
  python3 - "$secret" "$1" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"sub": "bench", "tenant": sys.argv[2], "exp": int(time.time()) + 86400}).encode())
sig = b64(hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
}
steady_token=$(token steady)
noisy_token=$(token noisy)

dir=$(mktemp -d /tmp/sy-noisy.XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cat >"$dir/config.json" <<JSON
{"tenants": {"breaker": {"cooldown_ms": 5000}, "overrides": {"noisy": {"publish_per_s": ${NOISY_RATE:-500},
  "publish_bytes_per_s": 1000000, "max_connections": 50, "max_subscriptions": 100}}}}
JSON
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
SWITCHYARD_AUTH_JWT_SECRET=$secret "$bin" --port "$port" --data-dir "$dir/data" --log-level warn \
  --auth-mode jwt --config "$dir/config.json" ${NODE_ARGS:-} 2>"$out/node.log" &
pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

steady() { # the measured tenant: one fanout run
  "$gen" --port "$port" --scenario fanout --subs 100 --rate 500 --duration "$duration" \
    --topic "steady/room" --token "$steady_token" --server-pid "$pid" >>"$out/$1.jsonl" \
    2>>"$out/gen.log"
}

for rep in $(seq "$reps"); do
  echo "== rep $rep/$reps: quiet" >&2
  steady quiet
  echo "== rep $rep/$reps: noisy" >&2
  # The flood: 8 publishers with 512 unacked each, and 500 connections (10x its limit).
  "$gen" --port "$port" --scenario publish --pubs 8 --inflight 512 --duration $((duration + 4)) \
    --topic "noisy/flood" --token "$noisy_token" >>"$out/flood.jsonl" 2>>"$out/gen.log" &
  flood=$!
  sleep 1 # its publishers connect first; the connection flood takes what is left and more
  "$gen" --port "$port" --scenario idle --conns 500 --hold $((duration + 2)) \
    --connect-timeout 5 --token "$noisy_token" >>"$out/conns.jsonl" 2>>"$out/gen.log" &
  conns=$!
  sleep 1
  steady noisy
  wait "$flood" "$conns" || true
  if tail -1 "$out/flood.jsonl" | grep -q '"error"'; then
    echo "rep $rep: the flood did not run: $(tail -1 "$out/flood.jsonl")" >&2
    exit 1
  fi
done

python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def runs(name):
    return [json.loads(l) for l in open(f"{out}/{name}.jsonl") if l.strip()]
quiet, noisy = runs("quiet"), runs("noisy")
def med(rs, q):
    return statistics.median(r["latency_ms"][q] for r in rs)
print("| phase | runs | deliveries/s | p50 ms | p99 ms (per run) | p99.9 ms |")
print("|---|---:|---:|---:|---|---:|")
for name, rs in (("quiet", quiet), ("noisy", noisy)):
    rate = statistics.median(r["deliveries_per_s"] for r in rs)
    per = ", ".join(f'{r["latency_ms"]["p99"]:.1f}' for r in rs)
    print(f"| {name} | {len(rs)} | {rate:,.0f} | {med(rs, 'p50'):.2f} | {med(rs, 'p99'):.2f} ({per}) | {med(rs, 'p999'):.1f} |")
lost = sum(r.get("lost", 0) for r in quiet + noisy)
print(f"\nsteady p99 noisy/quiet: {med(noisy, 'p99') / med(quiet, 'p99'):.2f}x; events lost: {lost}")
codes, pushes, acked = {}, {}, 0
for r in runs("flood"):
    acked += r.get("acked", 0)
    for k, v in r.get("errors_by_code", {}).items(): codes[k] = codes.get(k, 0) + v
    for k, v in r.get("pushes", {}).items(): pushes[k] = pushes.get(k, 0) + v
conn_codes = {}
for r in runs("conns"):
    for k, v in r.get("errors_by_code", {}).items(): conn_codes[k] = conn_codes.get(k, 0) + v
print(f"noisy tenant's publishes: {acked} stored, answers {codes}, pushes {pushes}")
print(f"noisy tenant's extra connections: answers {conn_codes}")
base = quiet[0]["server_anon_kib_peak"]
peak = max(r["server_anon_kib_peak"] for r in noisy)
print(f"node anonymous memory: peak {base/1024:.0f} MiB in the first quiet phase, {peak/1024:.0f} MiB during floods (+{(peak-base)/1024:.0f} MiB)")
PY
