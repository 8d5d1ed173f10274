#!/usr/bin/env bash
# The research sample in one command: builds what is missing, then starts the node with
# the three kinds (127.0.0.1:7400, data in ./data-research), the LLM worker (Node, the
# plain ws package, a deterministic fake model) and the page (http://127.0.0.1:7401).
# Ctrl-C stops all three.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
PORT="${PORT:-7400}"
WEB_PORT="${WEB_PORT:-7401}"

"$root/dev.sh" build research-node
if [ ! -d "$here/node_modules/ws" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$root/build/release/samples/research-node" --port "$PORT" --data-dir "$root/data-research" &
pids+=($!)
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.2
done
node "$here/worker.js" "ws://127.0.0.1:$PORT/ws" &
pids+=($!)
python3 -m http.server "$WEB_PORT" --bind 127.0.0.1 --directory "$here/web" >/dev/null 2>&1 &
pids+=($!)
echo "==> open http://127.0.0.1:$WEB_PORT/?node=ws://127.0.0.1:$PORT/ws  (Ctrl-C stops the sample)"
wait -n
