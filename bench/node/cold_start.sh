#!/usr/bin/env bash
# Cold start of the bundled Netlify webhook (issue 16 §4): in a fresh node process each time,
# the time from `import` of the function to its first 200 answer (a signup batch into an
# embedded SQLite store in a new temporary folder, so opening includes creating the schema),
# median of N runs. The baseline, in the same run, is a plain function that only parses the JSON
# body and answers 200. A third function only imports the bundle's acidentity (the addon and the
# libraries beside it) and answers 200: the part of the cold start that loading takes, the rest
# being opening the store and answering. The process's whole wall time (spawn to exit) is printed
# too.
#
# Usage: bench/node/cold_start.sh BUNDLE_DIR [--runs N]
#   BUNDLE_DIR: the bundled site (examples/netlify-site) left by the ctest node_netlify_bundle
#   (tests/node/netlify_bundle.sh), e.g. <build>/tests/node/work/netlify-bundle, holding
#   out/auth0-events.zip and bare/auth0-events/ (that zip unpacked).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bundle=$(realpath "${1:?usage: cold_start.sh BUNDLE_DIR [--runs N]}")
shift
runs=10
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 64 ;;
  esac
done
bare=$bundle/bare/auth0-events
fn=$bare/netlify/functions/auth0-events.mjs
[[ -f $fn ]] || { echo "no bundled function at $fn (run ctest -R node_netlify_bundle)" >&2; exit 1; }
work=$(mktemp -d /tmp/acid-cold-start.XXXXXX)
trap 'rm -rf "$work"' EXIT
node_bin=$(readlink -f "$(command -v node)")

cat >"$work/plain.mjs" <<'JS'
// The baseline: a function that only parses the body.
export async function handler(event) {
  const entries = JSON.parse(event.body);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ received: entries.length }) };
}
JS
# Where the time goes, in the same run: a function that only loads the bundle's acidentity
# (the addon and the libraries beside it), opens nothing, and answers 200.
cat >"$work/addon-only.mjs" <<JS
// Loads the addon from the bundle, as the function's first import does.
export async function handler() {
  await import('$bare/node_modules/acidentity/index.mjs');
  return { statusCode: 200, headers: {}, body: '{}' };
}
JS
cat >"$work/cold.mjs" <<'JS'
// One cold start: import the function, answer one batch, print the milliseconds.
import fs from 'node:fs';
const [fnPath, batchPath] = process.argv.slice(2);
const body = fs.readFileSync(batchPath, 'utf8');
const t0 = performance.now();
const { handler } = await import(fnPath);
const answer = await handler({
  httpMethod: 'POST',
  headers: { authorization: `Bearer ${process.env.AUTH0_LOG_TOKEN}` },
  queryStringParameters: {},
  body,
  isBase64Encoded: false,
});
const ms = performance.now() - t0;
if (answer.statusCode !== 200) {
  console.error(`answer ${answer.statusCode}: ${answer.body}`);
  process.exit(1);
}
console.log(ms.toFixed(2));
process.exit(0); // the client stays open in a warm instance; a cold start ends here
JS

# run_one FUNCTION -> "import_to_200_ms wall_ms"
run_one() {
  local store
  store=$(mktemp -d "$work/store.XXXXXX")
  local start end inner
  start=$(date +%s%N)
  inner=$(cd "$bare" && env -i PATH=/usr/bin:/bin HOME="$store" TMPDIR="$store" \
    AUTH0_LOG_TOKEN=cold-start-token ACID_STORE="sqlite:$store/acidentity.db" \
    ACID_CREDENTIALS_KEY="$(head -c 32 /dev/urandom | base64)" \
    PDS_URL=http://127.0.0.1:9 PDS_ADMIN_PASSWORD=unused \
    "$node_bin" "$work/cold.mjs" "$1" "$root/examples/data/auth0-log-batch.json" 2>/dev/null | tail -1)
  end=$(date +%s%N)
  echo "$inner $(((end - start) / 1000000))"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$work/acid" && : >"$work/plain" && : >"$work/addon"
for ((i = 0; i < runs; i++)); do
  run_one "$fn" >>"$work/acid"
  run_one "$work/plain.mjs" >>"$work/plain"
  run_one "$work/addon-only.mjs" >>"$work/addon"
done
acid_import=$(cut -d' ' -f1 "$work/acid" | median) acid_wall=$(cut -d' ' -f2 "$work/acid" | median)
plain_import=$(cut -d' ' -f1 "$work/plain" | median) plain_wall=$(cut -d' ' -f2 "$work/plain" | median)
addon_import=$(cut -d' ' -f1 "$work/addon" | median) addon_wall=$(cut -d' ' -f2 "$work/addon" | median)
zip=$bundle/out/auth0-events.zip
echo "cold start, median of $runs fresh processes (load average $(cut -d' ' -f1-3 /proc/loadavg)):"
row() { printf '  %-34s import -> first 200: %8.1f ms   process wall: %6.0f ms\n' "$@"; }
row "auth0-events (acidentity, SQLite)" "$acid_import" "$acid_wall"
row "  only loading acidentity (addon)" "$addon_import" "$addon_wall"
row "plain JSON.parse function" "$plain_import" "$plain_wall"
awk -v a="$acid_import" -v p="$plain_import" -v aw="$acid_wall" -v pw="$plain_wall" \
  'BEGIN { printf "  ratio acidentity/plain: %.1fx (import -> 200), %.2fx (process wall)\n", a / p, aw / pw }'
echo "  function zip: $(basename "$zip") $(stat -c %s "$zip") bytes"
