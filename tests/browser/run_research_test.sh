#!/usr/bin/env bash
# Runs the research sample's browser test: starts RESEARCH_BIN (research-node) on a free
# loopback port with its data in a temp dir and the sample's worker (node, the ws
# package), runs research_test.mjs in Debian's Chromium, stops both.
# Usage: run_research_test.sh RESEARCH_BIN
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
sample="$here/../../samples/research"
bin="$1"
require_browser_tools "$here"
[ -d "$sample/node_modules/ws" ] ||
  { echo "FAIL: ws is missing: run 'npm ci' in samples/research (./dev.sh test does)"; exit 1; }

tmp="$(mktemp -d)"
node_pid=""
worker_pid=""
cleanup() {
  for p in $worker_pid $node_pid; do kill "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }; done
  rm -rf "$tmp"
}
trap cleanup EXIT

start_node "$bin" "$tmp"
# Slow enough streaming that the stop button lands while the turn runs.
SLOW_MS=150 node "$sample/worker.js" "ws://127.0.0.1:$port/ws" >"$tmp/worker.log" 2>&1 &
worker_pid=$!
node "$here/research_test.mjs" "ws://127.0.0.1:$port/ws" || { cat "$tmp/worker.log"; tail -20 "$tmp/node.log"; exit 1; }
