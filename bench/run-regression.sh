#!/usr/bin/env bash
# Two builds of the node side by side with the same generator, runs interleaved
# (A B A B ...) so that the noise of a small shared machine hits both alike:
#   bench/run-regression.sh BASELINE_BIN CANDIDATE_BIN [REPS]
# Scenarios: fanout S=100 and S=1000 (closed loop, 128-byte events, durable), durable
# acknowledged publishes/s (8 publishers), idle memory per subscribed connection
# (10,000), one publish to each of 100,000 topic names (topic creation rate and the anon
# memory the node keeps). Prints a markdown table of medians with min-max; the JSON lines go to
# $OUT (default /tmp/switchyard-regression). ONLY="fanout1000 publish" runs a subset.
# Progress on stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:?baseline binary}
cand=${2:?candidate binary}
reps=${3:-3}
gen=${GEN:-$root/build/release/bench/loadgen/switchyard-bench}
out=${OUT:-/tmp/switchyard-regression}
rm -rf "$out" && mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"

source "$root/bench/lib.sh"

scenarios=(
  "fanout100|--scenario fanout --subs 100 --duration 5"
  "fanout1000|--scenario fanout --subs 1000 --duration 5"
  "publish|--scenario publish --pubs 8 --duration 5"
  "idle|--scenario idle --conns 10000 --hold 3"
  "topics|--scenario topics --topics 100000 --inflight 512 --hold 1"
)
for entry in "${scenarios[@]}"; do
  key=${entry%%|*}
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $key "* ]]; then
    continue
  fi
  read -r -a args <<<"${entry#*|}"
  for r in $(seq "$reps"); do
    for side in base cand; do
      bin=$base
      [ "$side" = cand ] && bin=$cand
      echo "== $key rep $r/$reps: $side" >&2
      run_fresh "$key.$side" "$bin" -- "${args[@]}"
    done
  done
done

python3 - "$out" <<'PY'
import json, statistics, sys, pathlib
out = pathlib.Path(sys.argv[1])
metrics = [("fanout100", "deliveries_per_s"), ("fanout1000", "deliveries_per_s"),
           ("publish", "acked_per_s"), ("idle", "server_rss_kib_per_conn"),
           ("topics", "acks_per_s"), ("topics", "server_rss_anon_kib_published")]
print("| scenario | metric | baseline median [min-max] | candidate median [min-max] | candidate / baseline |")
print("|---|---|---:|---:|---:|")
for key, metric in metrics:
    vals = {}
    for side in ("base", "cand"):
        f = out / f"{key}.{side}.jsonl"
        rows = [json.loads(l) for l in f.read_text().splitlines() if l.strip()] if f.exists() else []
        vals[side] = [r[metric] for r in rows if r.get(metric) is not None]
    if not vals["base"] or not vals["cand"]:
        print(f"| {key} | {metric} | (no data) | (no data) | |")
        continue
    b, c = statistics.median(vals["base"]), statistics.median(vals["cand"])
    fmt = lambda v: f"{v:,.1f}" if v < 100 else f"{v:,.0f}"
    print(f"| {key} | {metric} | {fmt(b)} [{fmt(min(vals['base']))}-{fmt(max(vals['base']))}] "
          f"| {fmt(c)} [{fmt(min(vals['cand']))}-{fmt(max(vals['cand']))}] | {c / b:.2f} |")
PY
