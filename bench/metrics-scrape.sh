#!/usr/bin/env bash
# What a Prometheus scrape costs the hot path: fanout S=1000 (closed loop, 128-byte
# events, durable) with and without GET /metrics every second, runs interleaved
# (plain scraped plain scraped ...) so the noise of a small shared machine hits both
# alike. Prints medians with min-max, the scraped/plain ratio of deliveries/s, and
# PASS when the scrape costs under 2 % (issue 11's budget). JSON lines go to $OUT.
#   bench/metrics-scrape.sh [REPS]
# SWITCHYARD_BIN and GEN override the node and generator (default: build/release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-5}
bin=${SWITCHYARD_BIN:-$root/build/release/runtime/switchyard}
gen=${GEN:-$root/build/release/bench/loadgen/switchyard-bench}
out=${OUT:-/tmp/switchyard-metrics-scrape}
rm -rf "$out" && mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"
source "$root/bench/lib.sh"

# One scrape a second, its size and time logged (a scrape that fails is logged too).
# exec: the background job is then python itself, so run_fresh's kill stops it.
scrape_every_second() {
  exec python3 - "$1" "$out/scrapes.log" <<'PY'
import sys, time, urllib.request
port, log = sys.argv[1], open(sys.argv[2], "a")
while True:
    t0 = time.monotonic()
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        log.write(f"ok bytes={len(body)} ms={(time.monotonic() - t0) * 1000:.2f}\n")
    except Exception as e:
        log.write(f"failed {e}\n")
    log.flush()
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
PY
}

for r in $(seq "$reps"); do
  echo "== rep $r/$reps: plain" >&2
  sidecar="" run_fresh plain "$bin" -- --scenario fanout --subs 1000 --duration 10
  echo "== rep $r/$reps: scraped every second" >&2
  sidecar=scrape_every_second run_fresh scraped "$bin" -- --scenario fanout --subs 1000 --duration 10
done

python3 - "$out" <<'PY'
import json, statistics, sys, pathlib
out = pathlib.Path(sys.argv[1])
vals = {}
for side in ("plain", "scraped"):
    rows = [json.loads(l) for l in (out / f"{side}.jsonl").read_text().splitlines() if l.strip()]
    vals[side] = [r["deliveries_per_s"] for r in rows if r.get("deliveries_per_s")]
scrapes = (out / "scrapes.log").read_text().splitlines()
ok = [l for l in scrapes if l.startswith("ok")]
print(f"scrapes: {len(ok)} ok, {len(scrapes) - len(ok)} failed; last: {ok[-1] if ok else '-'}")
print("| run | deliveries/s median [min-max] |")
print("|---|---:|")
for side in ("plain", "scraped"):
    v = vals[side]
    print(f"| {side} | {statistics.median(v):,.0f} [{min(v):,.0f}-{max(v):,.0f}] |")
ratio = statistics.median(vals["scraped"]) / statistics.median(vals["plain"])
print(f"scraped / plain = {ratio:.3f} -> {'PASS' if ratio >= 0.98 and len(ok) == len(scrapes) else 'FAIL'} (budget: >= 0.98)")
PY
