#!/usr/bin/env bash
# Usage: run_install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR [SANITIZERS]
# Installs the build into a scratch prefix, then:
#   1. the installed CLI runs without LD_LIBRARY_PATH (its install RPATH finds the library);
#   2. a consumer built through find_package(acidentity) against the shared library;
#   3. the same consumer against acidentity::acidentity_static (when the build has the static
#      library): it must not need libacidentity.so, libmongoc or libbson at run time;
#   4. a consumer built through pkg-config.
# SANITIZERS (e.g. "address,undefined") is the build's ACID_SANITIZE: an instrumented library
# needs consumers built with the same runtime.
set -euo pipefail
build=$1 src=$2 work=$3 sanitize=${4:-}
san_flags=""
if [[ -n "$sanitize" ]]; then san_flags="-fsanitize=$sanitize"; fi
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
test -f "$prefix/include/acidentity/acidentity.h"
test -L "$prefix/lib/libacidentity.so" || test -L "$prefix/lib/x86_64-linux-gnu/libacidentity.so"

# 1. The CLI, as installed: no LD_LIBRARY_PATH, the library found through $ORIGIN.
if [[ -x "$prefix/bin/acidentity" ]]; then
  readelf -d "$prefix/bin/acidentity" | grep -E 'R(UN)?PATH' | grep -qF '$ORIGIN' ||
    { echo "the installed CLI has no \$ORIGIN rpath"; exit 1; }
  env -u LD_LIBRARY_PATH "$prefix/bin/acidentity" code check ac25xadeh
  echo "installed CLI ran without LD_LIBRARY_PATH"
fi

libdir=$(dirname "$(find "$prefix" -name 'libacidentity.so.0' | head -1)")

# 2. CMake package, shared library.
consumer_cmake() { # NAME EXTRA_CMAKE_ARGS...
  local name=$1
  shift
  cmake -S "$src/consumer" -B "$work/$name" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$san_flags" -DCMAKE_EXE_LINKER_FLAGS="$san_flags" \
    "$@" >"$work/$name.log"
  cmake --build "$work/$name" >>"$work/$name.log"
}
consumer_cmake cmake-consumer
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$work/cmake-consumer/consumer" "sqlite:$work/cmake.db"

# 3. CMake package, static library.
if [[ -n "$(find "$prefix" -name 'libacidentity.a')" ]]; then
  consumer_cmake cmake-static-consumer -DCONSUMER_STATIC=ON
  needed=$(readelf -d "$work/cmake-static-consumer/consumer" | grep NEEDED || true)
  if grep -E 'libacidentity\.so|libmongoc-1\.0|libbson-1\.0' <<<"$needed"; then
    echo "the static consumer still needs the shared libraries above"
    exit 1
  fi
  env -u LD_LIBRARY_PATH "$work/cmake-static-consumer/consumer" "sqlite:$work/static.db"
  echo "static consumer linked static libacidentity + libmongoc/libbson"
else
  echo "static consumer skipped: this build has no libacidentity.a (ACID_BUILD_STATIC=OFF)"
fi

# 4. pkg-config.
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046,SC2086
cc -std=c99 -Wall -Wextra -pedantic -Werror $san_flags "$src/consumer/consumer.c" \
  -o "$work/pc-consumer" $(pkg-config --cflags --libs acidentity)
"$work/pc-consumer" "sqlite:$work/pc.db"
echo "install test ok: installed CLI, CMake package (shared and static) and pkg-config consumers built and ran"
