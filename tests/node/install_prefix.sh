#!/usr/bin/env bash
# Usage: install_prefix.sh BUILD_DIR PREFIX
# Installs the built library (header, libacidentity.so, acidentity.pc, CMake package) into PREFIX:
# what the Node addon, the examples and the benchmark build against.
set -euo pipefail
build=$1 prefix=$2
rm -rf "$prefix"
mkdir -p "$(dirname "$prefix")"
cmake --install "$build" --prefix "$prefix" >"$prefix.log"
test -f "$prefix/include/acidentity/acidentity.h"
find "$prefix" -name 'libacidentity.so.0' | grep -q .
find "$prefix" -name 'acidentity.pc' | grep -q .
echo "installed libacidentity into $prefix"
