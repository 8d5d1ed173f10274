#!/usr/bin/env bash
# Builds CAF 0.17.6 -- the version of Debian's libcaf-dev, from Debian's own source
# package `actor-framework` -- with -fsanitize=thread into a cache outside the source
# tree, so that ThreadSanitizer sees the happens-before edges inside CAF (mailboxes,
# scheduler, reference counts). Prints the install prefix on stdout; everything else goes
# to stderr. Does nothing when the cache already holds a build made with the same flags.
#
#   .ci/tsan-caf.sh            build if needed, print the prefix
#   .ci/tsan-caf.sh --prefix   print the prefix only
#
# Environment: JOBS (default 2), SWITCHYARD_CAF_TSAN_PREFIX (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/switchyard/caf-0.17.6-tsan; the CAF sources its debug
# info points at are kept beside it in <prefix>.src).
# Exit status 3: the Debian source package could not be fetched (no deb-src access).
set -euo pipefail

CAF_VERSION=0.17.6
PREFIX="${SWITCHYARD_CAF_TSAN_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard/caf-$CAF_VERSION-tsan}"
CXXFLAGS_TSAN="-fsanitize=thread -O1 -g -fno-omit-frame-pointer"
JOBS="${JOBS:-2}"

say() { printf '\033[1m==> [caf-tsan] %s\033[0m\n' "$*" >&2; }

if [ "${1:-}" = "--prefix" ]; then echo "$PREFIX"; exit 0; fi

# What the cache was built from: a change here rebuilds it.
STAMP_TEXT="actor-framework $CAF_VERSION (Debian source package, upstream tarball)
cxx: $(${CXX:-c++} --version | head -n1)
cxxflags: $CXXFLAGS_TSAN
options: core+io, CAF_LOG_LEVEL=QUIET, memory management on (as Debian's build_config.hpp)"
STAMP="$PREFIX/.switchyard-caf-tsan"

cached() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_TEXT" ] &&
    [ -f "$PREFIX/lib/libcaf_core.so" ] && [ -f "$PREFIX/lib/libcaf_io.so" ] &&
    [ -f "$PREFIX/include/caf/all.hpp" ]
}
if cached; then
  say "using cached instrumented CAF in $PREFIX"
  echo "$PREFIX"
  exit 0
fi

mkdir -p "$(dirname "$PREFIX")"
exec 9>"$PREFIX.lock"
flock 9 # one build at a time; a second caller waits and then finds the cache
if cached; then echo "$PREFIX"; exit 0; fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# -- Debian's source package -----------------------------------------------------------
# apt needs a deb-src entry for bookworm (where actor-framework is 0.17.6). Reuse the
# mirror of the configured binary sources.
have_source() { apt-cache showsrc actor-framework 2>/dev/null | grep -q "^Version: $CAF_VERSION-"; }
if ! have_source; then
  mirror=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    mirror=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ && $2 !~ /security/ {print $2; exit}' "$f")
    [ -n "$mirror" ] && break
  done
  if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
  fi
  mirror="${mirror:-http://deb.debian.org/debian}"
  list=/etc/apt/sources.list.d/switchyard-src.sources
  say "adding a deb-src entry for bookworm ($mirror) in $list"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  {
    printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\n' "$mirror"
    [ -f "$keyring" ] && printf 'Signed-By: %s\n' "$keyring"
  } | $sudo tee "$list" >/dev/null
  $sudo apt-get update -qq >&2 || true
fi

# A fixed work directory beside the cache (not a random temp dir): ccache hits when a
# failed or interrupted build is run again, and the sources stay where the debug info of
# the instrumented libraries points (only the build tree is removed after the install).
work="$PREFIX.src"
rm -rf "$work"
mkdir -p "$work"
tarball="actor-framework_$CAF_VERSION.orig.tar.gz"
say "fetching Debian source package actor-framework $CAF_VERSION into $work"
# The Debian patch tarball may be missing from the mirror (then apt-get exits non-zero);
# the upstream tarball is all this build needs, and apt has checked its hash.
(cd "$work" && apt-get source --download-only "actor-framework" >"$work/apt-source.log" 2>&1) || true
if [ ! -f "$work/$tarball" ]; then
  cat "$work/apt-source.log" >&2
  say "cannot fetch $tarball with apt-get source (no deb-src access to a Debian mirror?)"
  exit 3
fi
dsc=$(ls "$work"/actor-framework_"$CAF_VERSION"-*.dsc 2>/dev/null | head -n1 || true)
if [ -n "$dsc" ]; then
  want=$(awk -v f="$tarball" '/^Checksums-Sha256:/ {s = 1; next} /^[^ ]/ {s = 0} s && $3 == f {print $1}' "$dsc")
  have=$(sha256sum "$work/$tarball" | cut -d' ' -f1)
  if [ -n "$want" ] && [ "$want" != "$have" ]; then
    say "$tarball does not match the sha256 in $(basename "$dsc")"
    exit 1
  fi
fi
tar -xzf "$work/$tarball" -C "$work"
src="$work/actor-framework-$CAF_VERSION"
[ -f "$src/CMakeLists.txt" ] || { say "unexpected layout in $tarball"; exit 1; }

# Debian's patch tarball is not needed, but its effect on the headers is: make every
# upstream header that libcaf-dev also installs identical to Debian's (in 0.17.6-2.1 the
# only difference is an added #include <limits> in caf/io/network/receive_buffer.hpp,
# without which GCC >= 11 cannot compile libcaf_io).
debian_caf=$(dpkg-query -W -f='${Version}' libcaf-dev 2>/dev/null || true)
for lib in libcaf_core libcaf_io; do
  [[ "$debian_caf" == "$CAF_VERSION"-* ]] || break # only the headers of this very version
  while IFS= read -r h; do
    if [ -f "/usr/include/$h" ] && ! cmp -s "$src/$lib/$h" "/usr/include/$h"; then
      say "using Debian's $h (differs from the upstream tarball)"
      cp "/usr/include/$h" "$src/$lib/$h"
    fi
  done < <(cd "$src/$lib" && find caf -name '*.hpp')
done
if ! grep -q '<limits>' "$src/libcaf_io/caf/io/network/receive_buffer.hpp"; then
  # libcaf-dev's headers were not there to copy: the same one-line fix by hand.
  sed -i 's|#include <cstring>|#include <cstring>\n#include <limits>|' \
    "$src/libcaf_io/caf/io/network/receive_buffer.hpp"
fi

# -- configure, build, install -----------------------------------------------------------
# Only libcaf_core and libcaf_io, shared, the way Debian builds them (log level QUIET,
# memory management and exceptions on), plus TSan. CMAKE_BUILD_TYPE=None keeps CAF from
# adding its own -O2. libcaf_io gets an RPATH to the prefix so it loads the instrumented
# libcaf_core too.
say "configuring CAF $CAF_VERSION with $CXXFLAGS_TSAN"
launcher=$(command -v ccache || true)
rm -rf "$PREFIX"
cmake -S "$src" -B "$work/build" \
  -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_FLAGS="-std=c++11 $CXXFLAGS_TSAN" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" \
  -DCMAKE_INSTALL_LIBDIR=lib \
  -DCMAKE_INSTALL_RPATH="$PREFIX/lib" \
  -DCAF_LOG_LEVEL=QUIET \
  -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_TOOLS=yes \
  -DCAF_NO_OPENSSL=yes -DCAF_NO_OPENCL=yes -DCAF_NO_PYTHON=yes \
  -DCAF_NO_SUMMARY=yes ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher"} \
  >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; say "CAF configure failed"; exit 1; }

say "building libcaf_core and libcaf_io with $JOBS jobs (takes a while)"
start=$SECONDS
if ! nice -n 10 cmake --build "$work/build" -j "$JOBS" >"$work/build.log" 2>&1; then
  grep -B2 -A12 -m3 'error' "$work/build.log" >&2 || tail -n 60 "$work/build.log" >&2
  say "CAF build failed (full log: $work/build.log)"
  exit 1
fi
cmake --install "$work/build" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; say "CAF install failed"; exit 1; }
printf '%s\n' "$STAMP_TEXT" >"$STAMP"
rm -rf "$work/build" "$work"/actor-framework_*
say "instrumented CAF installed in $PREFIX ($(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s)"
echo "$PREFIX"
