#!/usr/bin/env bash
# How fast an admin purge deletes a large topic: a fresh node, one topic filled by the
# fanout scenario (1 subscriber, closed loop, 128-byte durable events) for DURATION
# seconds, then DELETE /admin/v1/topics/{topic}, timed by the client. Prints a row per
# rep (events, bytes, seconds, events/s) and the median.
#   bench/purge.sh [REPS]        DURATION (default 15) seconds of filling
# SWITCHYARD_BIN and GEN override the node and generator (default: build/release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
duration=${DURATION:-15}
bin=${SWITCHYARD_BIN:-$root/build/release/runtime/switchyard}
gen=${GEN:-$root/build/release/bench/loadgen/switchyard-bench}
out=${OUT:-/tmp/switchyard-purge}
rm -rf "$out" && mkdir -p "$out"
source "$root/bench/lib.sh"

# The purge has to follow the filling, so this loop starts its own node rather than
# using run_fresh (whose sidecar runs during the generator).
for r in $(seq "$reps"); do
  echo "== rep $r/$reps: filling for ${duration}s" >&2
  port=$(free_port)
  dir=$(mktemp -d /tmp/sy-bench.XXXXXX)
  "$bin" --port "$port" --data-dir "$dir/data" --log-level warn 2>>"$out/node.log" &
  pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  "$gen" --port "$port" --scenario fanout --subs 1 --topic big --inflight 50000 \
    --duration "$duration" >>"$out/fill.jsonl" 2>>"$out/gen.log"
  echo "== rep $r/$reps: purging" >&2
  python3 - "$port" >>"$out/purge.jsonl" <<'PY'
import json, sys, time, urllib.request
port = sys.argv[1]
listing = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/v1/topics"))
size = next(t["bytes"] for t in listing["topics"] if t["topic"] == "big")
req = urllib.request.Request(f"http://127.0.0.1:{port}/admin/v1/topics/big", method="DELETE")
t0 = time.monotonic()
answer = json.load(urllib.request.urlopen(req, timeout=60))
print(json.dumps({"events": answer["purged_events"], "bytes": size,
                  "seconds": time.monotonic() - t0}))
PY
  kill -TERM "$pid" && wait "$pid" || true
  rm -rf "$dir"
done

python3 - "$out/purge.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| rep | events | data | purge | events/s |")
print("|---:|---:|---:|---:|---:|")
for i, r in enumerate(rows, 1):
    print(f"| {i} | {r['events']:,} | {r['bytes'] / 2**20:,.0f} MiB | {r['seconds']:.2f} s | "
          f"{r['events'] / r['seconds']:,.0f} |")
rates = [r["events"] / r["seconds"] for r in rows]
print(f"median: {statistics.median(rates):,.0f} events/s")
PY
