#!/usr/bin/env bash
# Drain time: CONNS idle WebSocket connections (default 10000, each subscribed to its own
# topic) on a fresh node, then SIGTERM. Reports, per run, how long the node took from the
# signal to its exit and what its log says (drain.finished elapsed_ms, connections left),
# against the goal drain.spread_ms + 5 s.
#   bench/drain.sh [REPS]
# SWITCHYARD_BIN and GEN override the node and generator (default: build/release); SPREAD_MS
# (default 10000, the node's default) is drain.spread_ms. JSON lines go to $OUT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
bin=${SWITCHYARD_BIN:-$root/build/release/runtime/switchyard}
gen=${GEN:-$root/build/release/bench/loadgen/switchyard-bench}
conns=${CONNS:-10000}
spread=${SPREAD_MS:-10000}
out=${OUT:-/tmp/switchyard-drain}
rm -rf "$out" && mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"
. "$root/bench/lib.sh"

for rep in $(seq "$reps"); do
  port=$(free_port)
  dir=$(mktemp -d /tmp/sy-drain.XXXXXX)
  "$bin" --port "$port" --data-dir "$dir/data" --log-level info --drain-spread-ms "$spread" \
    2>"$out/node.$rep.log" &
  pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  # The connections stay until the node closes them (the hold outlasts the drain).
  "$gen" --port "$port" --scenario idle --conns "$conns" --hold $((spread / 1000 + 40)) \
    >"$out/gen.$rep.json" 2>"$out/gen.$rep.log" &
  genpid=$!
  until grep -q 'idle holding' "$out/gen.$rep.log" 2>/dev/null; do sleep 0.5; done
  sleep 2
  start=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid" && code=0 || code=$?
  end=$(date +%s%N)
  kill "$genpid" 2>/dev/null || true
  wait "$genpid" 2>/dev/null || true
  python3 - "$out/node.$rep.log" "$rep" "$code" "$start" "$end" "$spread" <<'PY' | tee -a "$out/drain.jsonl"
import json, re, sys
log, rep, code, start, end, spread = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
text = open(log).read()
began = re.search(r"drain\.started reason=\S+ connections=(\d+)", text)
done = re.search(r"drain\.finished connections_left=(\d+) elapsed_ms=(\d+)", text)
print(json.dumps({"rep": rep, "connections": int(began.group(1)) if began else None,
                  "drain_ms": int(done.group(2)) if done else None,
                  "left_at_end": int(done.group(1)) if done else None,
                  "signal_to_exit_ms": (end - start) // 1_000_000, "exit_code": code,
                  "goal_ms": spread + 5000}))
PY
  rm -rf "$dir"
done
