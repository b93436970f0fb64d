#!/usr/bin/env bash
# Usage: build_addon.sh SOURCE_DIR PREFIX PKG_DIR
# Copies bindings/node to PKG_DIR (the source tree stays clean; every build directory has its
# own copy) and installs it there: `npm ci` (dependencies from the npm registry, then the
# package's install script builds the addon from source against PREFIX via ACIDENTITY_PREFIX).
# Re-runs reuse node_modules while package-lock.json is unchanged, and the addon's configure
# while the headers/library location is unchanged.
set -euo pipefail
src=$1 prefix=$2 pkg=$3
mkdir -p "$pkg"
# Refresh the sources: everything but node_modules/ and build/ is replaced.
find "$pkg" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name build -exec rm -rf {} +
(cd "$src/bindings/node" && tar --exclude=./node_modules --exclude=./build --exclude='./*.tgz' -cf - .) |
  (cd "$pkg" && tar -xf -)

export ACIDENTITY_PREFIX=$prefix
# The project's own build of the addon holds it to -Werror (binding.gyp); a user's does not.
export ACID_WERROR=1
# This copy has no prebuilt platform package: the install step builds from source.
unset ACIDENTITY_BUILD_DIR
cd "$pkg"
if [[ -d node_modules && -f node_modules/.acid-lock ]] && cmp -s package-lock.json node_modules/.acid-lock; then
  bash scripts/build.sh
else
  npm ci --no-audit --no-fund --foreground-scripts
  cp package-lock.json node_modules/.acid-lock
fi
test -f build/Release/acidentity.node
# The rpath points at PREFIX: require() needs no LD_LIBRARY_PATH.
readelf -d build/Release/acidentity.node | grep -E 'RPATH|RUNPATH' | grep -q "$prefix"
env -u LD_LIBRARY_PATH node -e "
  const a = require('$pkg');
  if (!a.isValidUserCode('ac25xadeh')) process.exit(1);
  console.log('addon built and loaded: libacidentity ' + a.version().version + ', Node-API ' + a.version().napiVersion);
"
