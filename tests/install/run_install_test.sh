#!/usr/bin/env bash
# Usage: run_install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR [SANITIZERS]
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

libdir=$(dirname "$(find "$prefix" -name 'libacidentity.so.0' | head -1)")
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# 1. CMake package.
cmake -S "$src/consumer" -B "$work/cmake-consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$san_flags" -DCMAKE_EXE_LINKER_FLAGS="$san_flags" \
  >"$work/cmake-consumer.log"
cmake --build "$work/cmake-consumer" >>"$work/cmake-consumer.log"
"$work/cmake-consumer/consumer" "sqlite:$work/cmake.db"

# 2. pkg-config.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046,SC2086
cc -std=c99 -Wall -Wextra -pedantic -Werror $san_flags "$src/consumer/consumer.c" \
  -o "$work/pc-consumer" $(pkg-config --cflags --libs acidentity)
"$work/pc-consumer" "sqlite:$work/pc.db"
echo "install test ok: CMake package and pkg-config consumers built and ran"
