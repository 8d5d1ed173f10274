#!/usr/bin/env bash
# Switchyard side by side with the anchors (shared/anchors), one run, same generator.
#   bench/run-side-by-side.sh [results-dir]
# Needs the anchors' own packages (nats-server, nodejs/npm) and a Release build
# (./dev.sh build). Takes about 20 minutes on 2 cores; progress on stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
anchors_src=${ANCHORS:-$root/../shared/anchors}
work=${WORK:-/tmp/switchyard-anchors}
out=${1:-results/side-by-side-$(date +%Y%m%d-%H%M%S)}
bin=$root/build/release/runtime/switchyard
[ -x "$bin" ] || { echo "build first: ./dev.sh build" >&2; exit 1; }
command -v nats-server >/dev/null || { echo "needs nats-server (apt-get install nats-server)" >&2; exit 1; }
rm -rf "$work" && cp -r "$anchors_src" "$work" && chmod -R u+w "$work"
cd "$work"
./build.sh >&2
export SWITCHYARD_BIN=$bin TARGETS="switchyard beast nats-ws node-ws" OUT=$out REPS=3 DURATION=5
SUBS="100 1000" INFLIGHTS="2000 20000" ./run.sh fanout
SUBS="100 1000" ./run.sh latency
IDLE_CONNS=10000 REPS=1 ./run.sh idle
./run.sh summary "$out"
echo "summary: $work/$out/summary.md" >&2
