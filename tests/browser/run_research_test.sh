#!/usr/bin/env bash
# Runs the research sample's browser test: starts RESEARCH_BIN (research-node) on a free
# loopback port with its data in a temp dir and the sample's worker (node, the ws
# package), runs research_test.mjs in Debian's Chromium, stops both.
# Usage: run_research_test.sh RESEARCH_BIN
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sample="$here/../../samples/research"
bin="$1"

for need in node /usr/bin/chromium; do
  command -v "$need" >/dev/null || { echo "FAIL: $need is missing (./dev.sh deps installs it)"; exit 1; }
done
[ -d "$here/node_modules/playwright-core" ] ||
  { echo "FAIL: playwright-core is missing: run 'npm ci' in tests/browser (./dev.sh test does)"; exit 1; }
[ -d "$sample/node_modules/ws" ] ||
  { echo "FAIL: ws is missing: run 'npm ci' in samples/research (./dev.sh test does)"; exit 1; }

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }; done
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" --port 0 --data-dir "$tmp/data" 2>"$tmp/node.log" &
pids+=($!)
port=""
for _ in $(seq 200); do
  port="$(sed -n 's/.*ws\.listening .*port=\([0-9]*\).*/\1/p' "$tmp/node.log" | head -1)"
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "FAIL: the node did not start:"
  cat "$tmp/node.log"
  exit 1
fi
# Slow enough streaming that the stop button lands while the turn runs.
SLOW_MS=150 node "$sample/worker.js" "ws://127.0.0.1:$port/ws" >"$tmp/worker.log" 2>&1 &
pids+=($!)
node "$here/research_test.mjs" "ws://127.0.0.1:$port/ws" || { cat "$tmp/worker.log"; tail -20 "$tmp/node.log"; exit 1; }
