#!/usr/bin/env bash
# Retention soak: durable publishes at a steady rate for MINUTES (default 10) against a
# node with retention.max_age_ms = AGE_MS (default 60000), sampling the store file's
# size every 10 s. Once retention holds, the file must stop growing:
#   bench/retention-soak.sh [BIN]
# Prints one line per sample and, at the end, the spread of the samples of the second
# half (max vs min, in percent of their median). Files go to $OUT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/release/runtime/switchyard}
gen=${GEN:-$root/build/release/bench/loadgen/switchyard-bench}
minutes=${MINUTES:-10}
age_ms=${AGE_MS:-60000}
out=${OUT:-/tmp/switchyard-soak}
rm -rf "$out" && mkdir -p "$out"

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$bin" --port "$port" --data-dir "$out/data" --retention-max-age-ms "$age_ms" \
  --retention-sweep-ms 1000 --log-level info 2>"$out/node.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

# The load: 2 acked publishers with 8 publishes in flight each, runs of 120 s back to back.
end=$((SECONDS + minutes * 60))
(
  while [ $SECONDS -lt $end ]; do
    left=$((end - SECONDS))
    [ $left -lt 5 ] && break
    "$gen" --port "$port" --scenario publish --pubs 2 --inflight 8 \
      --duration "$((left < 120 ? left : 120))" >>"$out/publish.jsonl" 2>>"$out/gen.log" || true
  done
) &
load=$!

echo "elapsed_s,file_bytes" >"$out/samples.csv"
while kill -0 "$load" 2>/dev/null; do
  sleep 10
  size=$(stat -c %s "$out/data/data.mdb")
  echo "$((minutes * 60 - (end - SECONDS))),$size" | tee -a "$out/samples.csv" >&2
done
wait "$load" || true

python3 - "$out/samples.csv" "$out/publish.jsonl" <<'EOF'
import csv, json, statistics, sys
rows = [(int(r["elapsed_s"]), int(r["file_bytes"])) for r in csv.DictReader(open(sys.argv[1]))]
half = [b for t, b in rows if t >= rows[-1][0] / 2]
med = statistics.median(half)
runs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
print(f"samples={len(rows)} second_half={len(half)} median_mib={med / 2**20:.1f} "
      f"min_mib={min(half) / 2**20:.1f} max_mib={max(half) / 2**20:.1f} "
      f"spread=+{(max(half) - med) / med * 100:.1f}%/-{(med - min(half)) / med * 100:.1f}% "
      f"acked={sum(r.get('acked', 0) for r in runs)} "
      f"acked_per_s={statistics.median([r.get('acked_per_s', 0) for r in runs]):.0f}")
EOF
grep -c 'store.swept' "$out/node.log" | sed 's/^/sweeper log lines: /'
