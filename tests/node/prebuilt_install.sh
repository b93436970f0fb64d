#!/usr/bin/env bash
# Usage: prebuilt_install.sh DIST_DIR WORK_DIR
# The packed packages (scripts/package-node) installed the way a user or a Netlify build would:
# `npm install` of the two tarballs in an empty project with CC, CXX and MAKE set to /bin/false
# (no compiler may run), then used with LD_LIBRARY_PATH unset from CommonJS and ESM, and the
# node_store suite run on it. Then the loader's errors: the platform package without its .node, and without the platform package.
set -euo pipefail
dist=$(realpath "$1") work=$(realpath -m "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rm -rf "$work"
mkdir -p "$work/app"
main=$(ls "$dist"/acidentity-[0-9]*.tgz)
platform=$(ls "$dist"/acidentity-linux-*.tgz)
cd "$work/app"
npm init -y >/dev/null
env -u ACIDENTITY_PREFIX -u ACIDENTITY_BUILD_DIR -u LD_LIBRARY_PATH -u PKG_CONFIG_PATH \
  CC=/bin/false CXX=/bin/false MAKE=/bin/false \
  npm install "$platform" "$main" --no-audit --no-fund --foreground-scripts 2>&1 | tee "$work/install.log"
grep -q 'using the prebuilt addon' "$work/install.log" ||
  { echo "the install step did not use the prebuilt addon"; exit 1; }
test ! -e node_modules/acidentity/build || { echo "a source build happened"; exit 1; }

cat >smoke.cjs <<'JS'
const assert = require('node:assert/strict');
const { Identity, isValidUserCode, version } = require('acidentity');
(async () => {
  assert.ok(isValidUserCode('ac25xadeh'));
  const id = await Identity.open({ storeUri: `sqlite:${__dirname}/smoke.db`, useEnvironment: false });
  const code = await id.allocateUserCode('2025-07-01');
  assert.match(code, /^ac25/);
  await id.close();
  // The addon and every library it brought come from the platform package: no libcurl, libmongoc,
  // libssl, libsqlite3, ... from the system (libraries the node binary itself links excepted).
  const nodeOwn = require('node:child_process').execFileSync('ldd', [process.execPath], { encoding: 'utf8' });
  const watched = /\/(acidentity\.node|lib(acidentity|mongoc|bson|curl|ssl|crypto|sqlite3|nghttp2|ssh2|psl|icu\w*|gnutls|ldap|krb5|gssapi_krb5)[-.][^/]*)$/;
  const loaded = new Set();
  for (const line of require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const file = line.split(/\s+/)[5];
    const m = file && watched.exec(file);
    if (!m || nodeOwn.includes(require('node:path').basename(file))) continue;
    loaded.add(file);
    assert.match(file, /\/node_modules\/acidentity-linux-[a-z0-9]+-gnu\/[^/]+$/, `${file} is not from the platform package`);
  }
  assert.ok([...loaded].some((f) => f.endsWith('/acidentity.node')), 'acidentity.node is not mapped');
  console.log(`prebuilt (CommonJS): libacidentity ${version().version}, allocated ${code}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
JS
cat >smoke.mjs <<'JS'
import { ENV, USER_CODES_PER_YEAR, isValidUserCode } from 'acidentity';
if (ENV.storeUri !== 'ACID_STORE' || USER_CODES_PER_YEAR !== 109744 || !isValidUserCode('ac25xadeh')) process.exit(1);
console.log('prebuilt (ESM): named imports work');
JS
env -u LD_LIBRARY_PATH node smoke.cjs
env -u LD_LIBRARY_PATH node smoke.mjs

# The whole embedded-store suite on the prebuilt addon (C++ exceptions, worker threads, callbacks
# through its static runtime and tests/node/../bindings/node/prebuilt/glibc_compat.c).
ACIDENTITY_NODE_PACKAGE="$work/app/node_modules/acidentity" env -u LD_LIBRARY_PATH \
  node --test "$here/store.test.js"

# A bundle that lost the .node: the error names the platform package and the missing file.
addon=$(ls node_modules/acidentity-linux-*/acidentity.node)
mv "$addon" "$addon.away"
if out=$(node -e "require('acidentity')" 2>&1); then echo "loaded without its .node"; exit 1; fi
grep -q 'the prebuilt addon in acidentity-linux-[a-z0-9]*-gnu failed to load' <<<"$out" ||
  { echo "unclear error without the .node:"; echo "$out"; exit 1; }
grep -q 'npm run build' <<<"$out" && { echo "the error still says npm run build: $out"; exit 1; }
# No platform package at all: the error says so and how to get one.
mv "$(dirname "$addon")" "$work/platform-away"
if out=$(node -e "require('acidentity')" 2>&1); then echo "loaded without the platform package"; exit 1; fi
grep -q 'is not installed' <<<"$out" || { echo "unclear error without the platform package:"; echo "$out"; exit 1; }
echo "ok: installed with no compiler, loads from the platform package, clear errors when it is missing"
