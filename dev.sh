#!/usr/bin/env bash
# Switchyard developer entry point.
#   ./dev.sh start [switchyard options]   install what is missing, build, start a node
#   ./dev.sh test                         install, build with ASan+UBSan, run the whole suite
#   ./dev.sh build                        install and build (Release) only
#   ./dev.sh deps                         install the Debian packages only
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(g++ cmake make pkg-config ccache libcaf-dev libboost-dev libmsgpack-cxx-dev
  liblmdb-dev libspdlog-dev nlohmann-json3-dev libcli11-dev libgtest-dev libbenchmark-dev)
JOBS="${JOBS:-2}"

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
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DSWITCHYARD_SANITIZERS="$san" >/dev/null
  say "building $dir with $JOBS jobs"
  cmake --build "$dir" -j "$JOBS" ${1:+--target "$@"}
}

case "${1:-start}" in
  deps) deps ;;
  build)
    deps
    configure_and_build build/release Release ""
    ;;
  start)
    shift || true
    deps
    configure_and_build build/release Release "" switchyard
    say "starting switchyard on 127.0.0.1:7400 (data in ./data); Ctrl-C stops it"
    exec build/release/runtime/switchyard "$@"
    ;;
  test)
    deps
    configure_and_build build/asan RelWithDebInfo "address,undefined"
    say "running the test suite (ASan + UBSan)"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ctest --test-dir build/asan --output-on-failure -j "$JOBS" --timeout 300
    ;;
  *)
    echo "usage: $0 [start [options]|test|build|deps]" >&2
    exit 2
    ;;
esac
