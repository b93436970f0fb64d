#!/usr/bin/env bash
# Usage: run_install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
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
  -DCMAKE_BUILD_TYPE=Release >"$work/cmake-consumer.log"
cmake --build "$work/cmake-consumer" >>"$work/cmake-consumer.log"
"$work/cmake-consumer/consumer" "sqlite:$work/cmake.db"

# 2. pkg-config.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -std=c99 -Wall -Wextra -pedantic -Werror "$src/consumer/consumer.c" -o "$work/pc-consumer" \
  $(pkg-config --cflags --libs acidentity)
"$work/pc-consumer" "sqlite:$work/pc.db"
echo "install test ok: CMake package and pkg-config consumers built and ran"
