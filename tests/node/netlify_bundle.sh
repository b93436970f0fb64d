#!/usr/bin/env bash
# Usage: netlify_bundle.sh DIST_DIR SOURCE_DIR WORK_DIR
# The Auth0 webhook example bundled as Netlify bundles it, and run from its own unzipped folder:
#   1. a site with examples/node/netlify/auth0-events.mjs (+ shared.mjs) as the function
#      auth0-events, acidentity installed from the packed tarballs (scripts/package-node) with
#      CC/CXX/MAKE=/bin/false;
#   2. Netlify's bundler, @netlify/zip-it-and-ship-it (npm), with the netlify.toml settings
#      node_bundler = "esbuild" and external_node_modules = ["acidentity"];
#   3. the zip unpacked into a bare folder and its handler called with `env -i` plus the
#      function's settings only (no LD_LIBRARY_PATH, an embedded store in a temporary folder):
#      a signup batch gets 200, the users are stored, and /proc/self/maps shows the addon and
#      every library it loaded coming from that folder.
# (Issue 16 item 3 also wants the examples as a deployable site folder and the read-only /var/task
# error; not done yet.)
set -euo pipefail
dist=$(realpath "$1") src=$(realpath "$2") work=$(realpath -m "$3")
zisi_version=16.2.3
rm -rf "$work"
mkdir -p "$work/site/netlify/functions/auth0-events" "$work/bare" "$work/tmp"
site=$work/site
cp "$src/examples/node/netlify/auth0-events.mjs" "$src/examples/node/netlify/shared.mjs" \
  "$site/netlify/functions/auth0-events/"
cat >"$site/netlify.toml" <<'TOML'
[functions]
  node_bundler = "esbuild"
  # The addon and the libraries beside it are files, not JavaScript: keep the package (and its
  # platform package, a dependency) as node_modules in the function's zip.
  external_node_modules = ["acidentity"]
TOML
cat >"$site/package.json" <<'JSON'
{ "name": "acidentity-netlify-bundle-test", "private": true, "type": "module" }
JSON
cd "$site"
env -u LD_LIBRARY_PATH CC=/bin/false CXX=/bin/false MAKE=/bin/false \
  npm install "$dist"/acidentity-linux-*.tgz "$dist"/acidentity-[0-9]*.tgz \
  "@netlify/zip-it-and-ship-it@$zisi_version" --no-audit --no-fund >"$work/npm-install.log" 2>&1 ||
  { cat "$work/npm-install.log"; exit 1; }

# The same settings as netlify.toml, in the bundler's own option names.
node_modules/.bin/zip-it-and-ship-it \
  --config '{"*":{"nodeBundler":"esbuild","externalNodeModules":["acidentity"]}}' \
  netlify/functions "$work/out" >"$work/zisi.json"
zip=$work/out/auth0-events.zip
test -f "$zip"
echo "bundled: $(basename "$zip") $(stat -c %s "$zip") bytes"
(cd "$work/bare" && unzip -q "$zip")
find "$work/bare" -name acidentity.node | grep -q . || { echo "the zip has no acidentity.node"; exit 1; }

cat >"$work/run.cjs" <<'JS'
// Runs inside the unpacked bundle: the handler, then what the store holds, then what was mapped.
const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert/strict');
const bare = process.cwd();
const batch = fs.readFileSync(process.argv[2], 'utf8');
const signups = JSON.parse(batch).filter((e) => e.data.type === 'ss').map((e) => e.data.user_id);
(async () => {
  // The example exports a v2 default and the v1 handler, so the bundler keeps it as an ES module
  // (nft) with its node_modules; the function file is imported from the unpacked folder.
  const { handler } = await import(path.join(bare, 'netlify', 'functions', 'auth0-events', 'auth0-events.mjs'));
  const answer = await handler({
    httpMethod: 'POST',
    headers: { authorization: `Bearer ${process.env.AUTH0_LOG_TOKEN}` },
    queryStringParameters: {},
    body: batch,
    isBase64Encoded: false,
  });
  assert.equal(answer.statusCode, 200, answer.body);
  const summary = JSON.parse(answer.body);
  assert.ok(summary.applied >= signups.length, answer.body);
  // Stored: read back through the bundle's own copy of the package.
  const { Identity } = require(path.join(bare, 'node_modules', 'acidentity'));
  const id = await Identity.open();
  for (const sub of signups) {
    const user = await id.getUser(sub);
    assert.match(user.code, /^ac25[a-z]{5}$/, JSON.stringify(user));
  }
  await id.close();
  const mapped = new Set();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const file = line.split(/\s+/)[5];
    const lib = /\/(acidentity\.node|lib(acidentity|mongoc|bson|curl|ssl|crypto|sqlite3|nghttp2|icu\w*)[-\w.]*\.so[.\d]*)$/;
    if (file && lib.test(file)) mapped.add(file);
  }
  for (const file of mapped) assert.ok(file.startsWith(bare + '/'), `${file} was loaded from outside the bundle`);
  assert.ok([...mapped].some((f) => f.endsWith('/acidentity.node')), 'acidentity.node was not mapped');
  console.log(`bundled function: 200 ${answer.body}; ${signups.length} users stored; ${mapped.size} watched files mapped, all from the bundle`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
JS
cd "$work/bare"
env -i PATH=/usr/bin:/bin HOME="$work/tmp" TMPDIR="$work/tmp" \
  AUTH0_LOG_TOKEN=bundle-test-token ACID_STORE="sqlite:$work/tmp/acidentity.db" \
  ACID_CREDENTIALS_KEY="$(head -c 32 /dev/urandom | base64)" \
  PDS_URL=http://127.0.0.1:9 PDS_ADMIN_PASSWORD=unused \
  "$(readlink -f "$(command -v node)")" "$work/run.cjs" "$src/examples/data/auth0-log-batch.json"
