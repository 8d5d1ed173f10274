#!/usr/bin/env bash
# Runs the console's browser test against a real node: starts SWITCHYARD_BIN on a free
# loopback port with its data in a temp dir, runs console_test.mjs in Debian's Chromium,
# stops the node. Usage: run_console_test.sh SWITCHYARD_BIN [SCREENSHOT_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
bin="$1"
shots="${2:-}"
require_browser_tools "$here"

tmp="$(mktemp -d)"
node_pid=""
cleanup() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

start_node "$bin" "$tmp" --node-name console-test
[ -n "$shots" ] && mkdir -p "$shots"
node "$here/console_test.mjs" "http://127.0.0.1:$port" $shots
