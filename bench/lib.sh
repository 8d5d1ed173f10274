# Shared by the bench/*.sh scripts (sourced): one generator run against a fresh node.
# Expects $gen (switchyard-bench) and $out (where the JSON lines and logs go).

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# run_fresh NAME BIN [NODE-ARGS...] -- GENERATOR-ARGS...: a fresh node (fresh data dir)
# with NODE-ARGS, one generator run appended to $out/NAME.jsonl, then the node stops.
# With $sidecar set, `$sidecar PORT` runs in the background during the generator run.
run_fresh() {
  local name=$1 bin=$2; shift 2
  local node_args=() port dir pid
  while [ "$1" != "--" ]; do node_args+=("$1"); shift; done
  shift
  port=$(free_port)
  dir=$(mktemp -d /tmp/sy-bench.XXXXXX)
  "$bin" --port "$port" --data-dir "$dir/data" --log-level warn "${node_args[@]}" \
    2>>"$out/$name.node.log" &
  pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  local side=""
  if [ -n "${sidecar:-}" ]; then
    $sidecar "$port" &
    side=$!
  fi
  "$gen" --port "$port" --server-pid "$pid" "$@" >>"$out/$name.jsonl" 2>>"$out/$name.gen.log" ||
    echo "run failed: $name $*" >&2
  if [ -n "$side" ]; then kill "$side" 2>/dev/null; wait "$side" 2>/dev/null || true; fi
  kill -TERM "$pid" && wait "$pid" || true
  rm -rf "$dir"
}
