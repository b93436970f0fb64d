#!/usr/bin/env bash
# Usage: netlify_bundle.sh DIST_DIR SOURCE_DIR WORK_DIR
# The Netlify site (examples/netlify-site) bundled as Netlify bundles it, each function run from
# its own unzipped folder:
#   1. the site copied, acidentity installed from the packed tarballs (scripts/package-node) with
#      CC/CXX/MAKE=/bin/false;
#   2. Netlify's bundler, @netlify/zip-it-and-ship-it (npm), on the site's functions directory
#      with the site's own netlify.toml [functions] settings (read with Python's tomllib and
#      passed in the bundler's option names, as Netlify's build does): every function of the site
#      must give a zip holding acidentity.node, and scheduled-jobs its schedule;
#   3. each zip unpacked into a bare folder and its handler called with `env -i` plus only the
#      variables netlify.toml's included_env_vars gives that function (no LD_LIBRARY_PATH, an
#      embedded store in a temporary folder; tests/node/netlify_site_run.mjs):
#      - auth0-events: a signup batch gets 200 and the users are stored;
#      - the same function with no store configured, (a) with AWS_LAMBDA_FUNCTION_NAME set and
#        (b) in a folder mounted read-only (as /var/task is): 503, and the open error is
#        ACID_ECONFIG naming MONGODB_CONNECTION_STRING and ACID_STORE; nothing is written;
#      - scheduled-jobs: the verified user's job fails (no PDS listening) with ACID_MAX_ATTEMPTS=1
#        and the permanent failure is an alert line in the function log;
#      - handle: a handle set through a local stand-in for Auth0's /userinfo, 200;
#      - content-mirror: a stored mood of a user without a PDS account is `skipped`, 200; an
#        unknown id is 404;
#      and in every run /proc/self/maps shows the addon and every library it loaded coming from
#      that function's folder.
set -euo pipefail
dist=$(realpath "$1") src=$(realpath "$2") work=$(realpath -m "$3")
zisi_version=16.2.3
functions=(auth0-events content-mirror handle scheduled-jobs)
rm -rf "$work"
mkdir -p "$work/bare" "$work/tmp"
site=$work/site
cp -r "$src/examples/netlify-site" "$site"
rm -rf "$site/node_modules"
cd "$site"
env -u LD_LIBRARY_PATH CC=/bin/false CXX=/bin/false MAKE=/bin/false \
  npm install "$dist"/acidentity-linux-*.tgz "$dist"/acidentity-[0-9]*.tgz \
  "@netlify/zip-it-and-ship-it@$zisi_version" --no-audit --no-fund >"$work/npm-install.log" 2>&1 ||
  { cat "$work/npm-install.log"; exit 1; }

# netlify.toml -> the bundler's config ({"*": ..., "<function>": ...}), the functions directory,
# and each function's included_env_vars.
python3 - "$site/netlify.toml" "$work" <<'PY'
import json, sys, tomllib
with open(sys.argv[1], "rb") as f:
    functions = tomllib.load(f)["functions"]
keys = {"node_bundler": "nodeBundler", "external_node_modules": "externalNodeModules",
        "included_files": "includedFiles", "ignored_node_modules": "ignoredNodeModules"}
def bundler_options(section):
    return {keys[k]: v for k, v in section.items() if k in keys}
config = {"*": bundler_options(functions)}
env_vars = {}
for name, section in functions.items():
    if isinstance(section, dict):
        config[name] = bundler_options(section)
        env_vars[name] = section.get("included_env_vars", [])
assert "acidentity" in config["*"].get("externalNodeModules", []), "acidentity is not external"
with open(sys.argv[2] + "/zisi-config.json", "w") as f:
    json.dump(config, f)
with open(sys.argv[2] + "/functions-dir", "w") as f:
    f.write(functions["directory"])
with open(sys.argv[2] + "/env-vars.json", "w") as f:
    json.dump(env_vars, f)
PY
node_modules/.bin/zip-it-and-ship-it --config "$(cat "$work/zisi-config.json")" \
  "$(cat "$work/functions-dir")" "$work/out" >"$work/zisi.json"

# Every function of the site is bundled, and only those.
found=$(cd "$(cat "$work/functions-dir")" && ls | sed 's/\.m\?js$//' | sort | tr '\n' ' ')
[[ $found == "${functions[*]} " ]] || { echo "the site's functions are '$found', expected '${functions[*]}'"; exit 1; }
node - "$work/zisi.json" "${functions[@]}" <<'JS'
const assert = require('node:assert/strict');
const [manifest, ...names] = process.argv.slice(2);
const bundled = JSON.parse(require('node:fs').readFileSync(manifest, 'utf8'));
for (const name of names) {
  const fn = bundled.find((f) => f.name === name);
  assert.ok(fn, `${name} was not bundled`);
  if (name === 'scheduled-jobs') assert.equal(fn.schedule, '*/5 * * * *', `schedule: ${JSON.stringify(fn)}`);
}
JS
for name in "${functions[@]}"; do
  zip=$work/out/$name.zip
  mkdir -p "$work/bare/$name"
  (cd "$work/bare/$name" && unzip -q "$zip")
  find "$work/bare/$name" -name acidentity.node | grep -q . || { echo "$name.zip has no acidentity.node"; exit 1; }
  echo "bundled: $name.zip $(stat -c %s "$zip") bytes"
done

# The values the test gives; each function gets those its included_env_vars names.
declare -A values=(
  [ACID_STORE]="sqlite:$work/tmp/acidentity.db"
  [AUTH0_LOG_TOKEN]=bundle-test-token
  [ACID_CREDENTIALS_KEY]="$(head -c 32 /dev/urandom | base64)"
  [PDS_URL]=http://127.0.0.1:9
  [PDS_ADMIN_PASSWORD]=unused
  [ACID_MAX_ATTEMPTS]=1
  [ACID_CONTENT_MIRROR_TOKEN]=bundle-content-token
)
node_bin=$(readlink -f "$(command -v node)")
runner=$src/tests/node/netlify_site_run.mjs
batch=$src/examples/data/auth0-log-batch.json

# run_function NAME MODE [VAR=VALUE...]: the function's handler in its own folder.
run_function() {
  local name=$1 mode=$2
  shift 2
  local -a env_args=(PATH=/usr/bin:/bin HOME="$work/tmp" TMPDIR="$work/tmp")
  local var
  for var in $(node -p "require('$work/env-vars.json')['$name'].join(' ')"); do
    [[ -n ${values[$var]:-} ]] && env_args+=("$var=${values[$var]}")
  done
  (cd "$work/bare/$name" && env -i "${env_args[@]}" "$@" "$node_bin" "$runner" "$name" "$mode" "$batch")
}

run_function auth0-events signups
run_function scheduled-jobs alert-on-failure
run_function handle set-handle
run_function content-mirror mirror-mood

# No store configured on Lambda: ACID_STORE left out of the function's environment.
unset 'values[ACID_STORE]'
touch "$work/before-lambda"
run_function auth0-events no-store AWS_LAMBDA_FUNCTION_NAME=auth0-events
written=$(find "$work/bare/auth0-events" -newer "$work/before-lambda" | head -5)
[[ -z $written ]] || { echo "files written with no store configured: $written"; exit 1; }
# The same in a function folder on a read-only mount, as /var/task is (a private mount namespace;
# as root, a folder without write bits would still be writable).
if unshare -m true 2>/dev/null; then
  export -f run_function
  bare=$work/bare/auth0-events
  unshare -m bash -c "mount --bind '$bare' '$bare' && mount -o remount,bind,ro '$bare' && $(declare -p values work node_bin runner batch); run_function auth0-events no-store"
else
  echo "netlify_bundle: no mount namespace here (unshare -m failed): the read-only folder case did not run" >&2
  exit 1
fi
echo "every function of the site bundled and answered from its own folder"
