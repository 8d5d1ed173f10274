#!/usr/bin/env bash
# Switchyard developer entry point.
#   ./dev.sh start [switchyard options]   install what is missing, build (with switchyard-ctl),
#                                         start a node
#   ./dev.sh test                         install, build with ASan+UBSan, run the whole suite
#   ./dev.sh build [targets...]           install and build (Release) only: all, or the targets
#   ./dev.sh deps                         install the Debian packages only
#   ./dev.sh cluster [switchyard options] etcd and three nodes on loopback (docs/cluster.md):
#                                         ports 7400, 7410, 7420 (peers 7401, 7411, 7421),
#                                         data in ./data/cluster
#   ./dev.sh tsan                         ThreadSanitizer against a TSan-built CAF (cached
#                                         outside the tree), run the concurrency tests
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(g++ cmake ninja-build make pkg-config ccache libcaf-dev libboost-dev libmsgpack-cxx-dev
  liblmdb-dev libspdlog-dev nlohmann-json3-dev libsimdjson-dev libcli11-dev libgtest-dev
  libbenchmark-dev libssl-dev python3-prometheus-client chromium etcd-server)
# Node.js and npm for the console's browser test, unless a Node.js that brings its own
# npm is installed already (NodeSource's nodejs conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
JOBS="${JOBS:-2}"
CMAKE_EXTRA=()  # more -D options for configure_and_build
NICE=()         # e.g. (nice -n 10) for a build that should yield the CPU

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_and_build() { # build-dir build-type sanitizers [targets...]
  local dir="$1" type="$2" san="$3"; shift 3
  export CCACHE_DIR="${CCACHE_DIR:-$PWD/.cache/ccache}"
  say "configuring $dir ($type${san:+, sanitizers $san})"
  # Ninja, not Make: Make builds no object of a target before the libraries it links
  # are done, which leaves one of the two cores idle behind the heavy transport units.
  if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles" # a Make build dir from before (ccache keeps its objects)
  fi
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DSWITCHYARD_SANITIZERS="$san" \
    "${CMAKE_EXTRA[@]}" >/dev/null
  say "building $dir with $JOBS jobs"
  "${NICE[@]}" cmake --build "$dir" -j "$JOBS" ${1:+--target "$@"}
}

# The browser tests drive Debian's Chromium with playwright-core from npm (pinned by
# tests/browser/package-lock.json; it downloads no browser); the research sample's test
# also runs the sample's worker (ws, pinned by samples/research/package-lock.json).
browser_test_deps() {
  local dir=tests/browser
  if [ ! -d "$dir/node_modules/playwright-core" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    say "installing the browser test's npm packages"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # The research sample's worker (its browser test runs it).
  local sample=samples/research
  if [ ! -d "$sample/node_modules/ws" ] || [ "$sample/package-lock.json" -nt "$sample/node_modules" ]; then
    say "installing the research sample's npm packages"
    (cd "$sample" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# The concurrency tests: everything labelled integration, and the EventStore tests
# that race readers against writers and map growth.
TSAN_STORE_TESTS='^EventStore\.[A-Za-z]*(Concurrent|Preempted|Grows)'

tsan() {
  local caf rc=0
  if caf=$(JOBS="$JOBS" .ci/tsan-caf.sh); then
    say "CAF instrumented with TSan: $caf"
  else
    rc=$?
    [ "$rc" -eq 3 ] || exit "$rc"
    caf=""
    say "WARNING: no TSan-built CAF (Debian's source package could not be fetched)."
    say "WARNING: building against Debian's uninstrumented libcaf: races whose happens-before"
    say "WARNING: edges are inside CAF (mailbox, scheduler, refcounts) are false positives."
  fi
  CMAKE_EXTRA=(-DSWITCHYARD_CAF_PREFIX="$caf")
  NICE=(nice -n 10)
  configure_and_build build/tsan RelWithDebInfo thread integration_test store_test
  local logs="$PWD/build/tsan/tsan-logs" opts="halt_on_error=0 second_deadlock_stack=1 history_size=4"
  rm -rf "$logs" && mkdir -p "$logs"
  [ -f .ci/tsan.supp ] && opts="$opts suppressions=$PWD/.ci/tsan.supp"
  # Reports go to one file per process; a process with reports exits 66, so its test fails.
  export TSAN_OPTIONS="$opts log_path=$logs/tsan"
  local t0=$SECONDS tests=0
  say "running the integration tests under TSan (TSAN_OPTIONS=$TSAN_OPTIONS)"
  "${NICE[@]}" ctest --test-dir build/tsan -L integration -j "$JOBS" --timeout 900 \
    --output-on-failure || tests=1
  say "running the concurrent EventStore tests under TSan"
  "${NICE[@]}" ctest --test-dir build/tsan -R "$TSAN_STORE_TESTS" -j "$JOBS" --timeout 900 \
    --output-on-failure || tests=1
  say "tests took $(( (SECONDS - t0) / 60 )) min $(( (SECONDS - t0) % 60 )) s"
  local reports=0
  .ci/tsan-summary.sh "$logs" "$PWD" || reports=1
  [ -n "$caf" ] || say "WARNING: CAF was not instrumented (see above)"
  [ "$tests" -eq 0 ] && [ "$reports" -eq 0 ]
}

# etcd and three nodes, each with its own port and data dir; Ctrl-C stops them all.
cluster() {
  local dir="$PWD/data/cluster" etcd_port="${ETCD_PORT:-2379}" pids=()
  mkdir -p "$dir"
  say "starting etcd on 127.0.0.1:$etcd_port (data and log in $dir)"
  tools/etcd-loopback.sh "$dir/etcd" "$etcd_port" "$((etcd_port + 1))" 2>"$dir/etcd.log" &
  pids+=($!)
  trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$etcd_port") 2>/dev/null && break
    sleep 0.1
  done
  for i in 1 2 3; do
    local port=$((7400 + (i - 1) * 10))
    build/release/runtime/switchyard --node-name "node-$i" --port "$port" \
      --data-dir "$dir/node-$i" --cluster-etcd "http://127.0.0.1:$etcd_port" \
      --cluster-peer-port "$((port + 1))" "$@" \
      2>"$dir/node-$i.log" &
    pids+=($!)
    say "node-$i: ws://127.0.0.1:$port/ws (log $dir/node-$i.log)"
  done
  sleep 1
  build/release/tools/ctl/switchyard-ctl --url http://127.0.0.1:7400 cluster | head -8 || true
  say "see the shard map: build/release/tools/ctl/switchyard-ctl --url http://127.0.0.1:7400 cluster"
  say "Ctrl-C stops etcd and the three nodes"
  wait
}

case "${1:-start}" in
  deps) deps ;;
  build)
    shift || true
    deps
    configure_and_build build/release Release "" "$@"
    ;;
  start)
    shift || true
    deps
    configure_and_build build/release Release "" switchyard switchyard-ctl
    say "starting switchyard (127.0.0.1:7400 and ./data unless your options say otherwise; its log names both); Ctrl-C stops it"
    exec build/release/runtime/switchyard "$@"
    ;;
  test)
    deps
    # -O1 -g1: what ASan's authors recommend, half the compile time of -O2 -g (a Beast
    # translation unit: 87 s instead of 180 s), and stack traces keep file:line.
    CMAKE_EXTRA=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG")
    configure_and_build build/asan RelWithDebInfo "address,undefined"
    browser_test_deps
    say "running the test suite (ASan + UBSan)"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ctest --test-dir build/asan --output-on-failure -j "$JOBS" --timeout 300
    ;;
  tsan)
    deps
    tsan
    ;;
  cluster)
    shift || true
    deps
    configure_and_build build/release Release "" switchyard switchyard-ctl
    cluster "$@"
    ;;
  *)
    echo "usage: $0 [start [options]|test|build|deps|tsan|cluster [options]]" >&2
    exit 2
    ;;
esac
