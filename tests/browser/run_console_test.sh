#!/usr/bin/env bash
# Runs the console's browser test against a real node: starts SWITCHYARD_BIN on a free
# loopback port with its data in a temp dir, runs console_test.mjs in Debian's Chromium,
# stops the node. Usage: run_console_test.sh SWITCHYARD_BIN [SCREENSHOT_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
shots="${2:-}"

for need in node /usr/bin/chromium; do
  command -v "$need" >/dev/null || { echo "FAIL: $need is missing (./dev.sh deps installs it)"; exit 1; }
done
[ -d "$here/node_modules/playwright-core" ] ||
  { echo "FAIL: playwright-core is missing: run 'npm ci' in tests/browser (./dev.sh test does)"; exit 1; }

tmp="$(mktemp -d)"
node_pid=""
cleanup() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" --port 0 --data-dir "$tmp/data" --node-name console-test 2>"$tmp/node.log" &
node_pid=$!
port=""
for _ in $(seq 200); do
  port="$(sed -n 's/.*ws\.listening .*port=\([0-9]*\).*/\1/p' "$tmp/node.log" | head -1)"
  [ -n "$port" ] && break
  kill -0 "$node_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "FAIL: the node did not start:"
  cat "$tmp/node.log"
  exit 1
fi
[ -n "$shots" ] && mkdir -p "$shots"
node "$here/console_test.mjs" "http://127.0.0.1:$port" $shots
