# Sourced by the browser tests' runners: what they need installed, and a node started on
# a free loopback port.

# Fails unless node, Debian's Chromium and playwright-core (tests/browser) are there.
require_browser_tools() {
  local here="$1" need
  for need in node /usr/bin/chromium; do
    command -v "$need" >/dev/null || { echo "FAIL: $need is missing (./dev.sh deps installs it)"; exit 1; }
  done
  [ -d "$here/node_modules/playwright-core" ] ||
    { echo "FAIL: playwright-core is missing: run 'npm ci' in tests/browser (./dev.sh test does)"; exit 1; }
}

# start_node BIN TMP [options...]: starts BIN on port 0 with its data in TMP/data and its
# log in TMP/node.log; sets node_pid, and port once the node listens (fails otherwise).
start_node() {
  local bin="$1" tmp="$2"
  shift 2
  "$bin" --port 0 --data-dir "$tmp/data" "$@" 2>"$tmp/node.log" &
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
}
