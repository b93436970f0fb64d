#!/usr/bin/env bash
# Usage: pack_install.sh PKG_DIR PREFIX WORK_DIR
# `npm pack` of the package, then `npm install <tarball>` in an empty folder: the addon builds
# from source there (the fallback when no prebuilt platform package is installed), finding
# libacidentity through pkg-config (PKG_CONFIG_PATH) only.
set -euo pipefail
pkg=$1 prefix=$2 work=$3
rm -rf "$work"
mkdir -p "$work/pack" "$work/empty"
(cd "$pkg" && npm pack --pack-destination "$work/pack" --json >"$work/pack.json")
tarball=$(ls "$work"/pack/acidentity-*.tgz)
echo "packed $(basename "$tarball") ($(stat -c %s "$tarball") bytes)"

# What ships: the sources and build script, nothing built, no tests or dependencies.
listing=$(tar -tzf "$tarball" | sort)
for f in package/package.json package/index.js package/index.mjs package/index.d.ts \
  package/index.d.mts package/native.js package/platform.js package/binding.gyp \
  package/src/addon.cc package/src/client.cc package/src/client.h package/scripts/install.js \
  package/scripts/build.sh package/scripts/find-acidentity.js package/README.md; do
  grep -qx "$f" <<<"$listing" || { echo "missing from the package: $f"; exit 1; }
done
if grep -E 'node_modules/|/build/|\.node$|types/check\.ts' <<<"$listing"; then
  echo "the package ships files it should not (above)"
  exit 1
fi

pcdir=$(dirname "$(find "$prefix" -name acidentity.pc | head -1)")
cd "$work/empty"
npm init -y >/dev/null
# No prebuilt platform package here: the install step falls back to a source build, which needs
# the build tools (devDependencies of acidentity) installed beside it, and a user's build has no
# -Werror.
env -u ACIDENTITY_PREFIX -u ACIDENTITY_BUILD_DIR -u LD_LIBRARY_PATH -u ACID_WERROR \
  PKG_CONFIG_PATH="$pcdir" \
  npm install "$tarball" node-gyp@^12.1.0 node-addon-api@^8.5.0 --no-audit --no-fund --foreground-scripts
cat >smoke.js <<'JS'
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Identity, isValidUserCode, version } = require('acidentity');
(async () => {
  assert.ok(isValidUserCode('ac25xadeh'));
  const id = await Identity.open({ storeUri: `sqlite:${__dirname}/smoke.db`, useEnvironment: false });
  const code = await id.allocateUserCode('2025-07-01');
  assert.match(code, /^ac25/);
  await id.close();
  assert.ok(fs.existsSync(`${__dirname}/smoke.db`));
  console.log(`installed from the tarball: libacidentity ${version().version}, allocated ${code}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
JS
env -u LD_LIBRARY_PATH node smoke.js
