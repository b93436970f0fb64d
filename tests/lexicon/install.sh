#!/bin/sh
# Prepares the lexicon checker in WORK_DIR: copies validate.mjs, lexicons/ and package.json from
# this folder and installs @atproto/lexicon (npm) once; a later call with the same package.json
# only refreshes the copies. Serialised with flock, so parallel test processes share one install.
#   tests/lexicon/install.sh WORK_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$1
mkdir -p "$work"
exec 9>"$work/.lock"
flock 9
cp "$here/validate.mjs" "$work/"
rm -rf "$work/lexicons"
cp -r "$here/lexicons" "$work/lexicons"
if ! cmp -s "$here/package.json" "$work/package.json" || [ ! -d "$work/node_modules/@atproto/lexicon" ]; then
  cp "$here/package.json" "$work/package.json"
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error >"$work/npm-install.log" 2>&1) || {
    cat "$work/npm-install.log" >&2
    exit 1
  }
fi
