#!/usr/bin/env bash
# Usage: run_c_examples.sh SOURCE_DIR PREFIX WORK_DIR
# Builds examples/c (make + pkg-config) and examples/cpp (CMake find_package) against the install
# PREFIX, then runs both on examples/data/auth0-log-batch.json with an embedded store: the first
# delivery is applied (HTTP 200), the redelivery is all duplicates, a wrong token is refused.
set -euo pipefail
src=$1 prefix=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
payload=$src/examples/data/auth0-log-batch.json
pcdir=$(dirname "$(find "$prefix" -name acidentity.pc | head -1)")

cp -r "$src/examples/c" "$work/c"
PKG_CONFIG_PATH=$pcdir make -C "$work/c" >"$work/c-build.log"
cmake -S "$src/examples/cpp" -B "$work/cpp" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$work/cpp-build.log"
cmake --build "$work/cpp" >>"$work/cpp-build.log"

# expect_json OUTPUT KEY VALUE: the answer's JSON has "KEY":VALUE.
expect() {
  grep -q "\"$2\":$3" <<<"$1" || { echo "expected \"$2\":$3 in: $1"; exit 1; }
}

passed=0
for program in "$work/c/provision" "$work/cpp/provision"; do
  name=$(basename "$(dirname "$program")")
  export ACID_STORE="sqlite:$work/$name.db" AUTH0_LOG_TOKEN="example-token"
  unset ACID_EXAMPLE_AUTHORIZATION
  out=$(env -u LD_LIBRARY_PATH "$program" "$payload")
  echo "$name, first delivery: $out"
  head -1 <<<"$out" | grep -qx 'HTTP 200'
  expect "$out" received 4
  expect "$out" applied 3
  expect "$out" ignored 1
  expect "$out" codes_assigned 2
  expect "$out" jobs_scheduled 1

  out=$(env -u LD_LIBRARY_PATH "$program" "$payload")
  echo "$name, redelivery: $out"
  expect "$out" duplicates 3
  expect "$out" applied 0

  set +e
  out=$(ACID_EXAMPLE_AUTHORIZATION=wrong env -u LD_LIBRARY_PATH "$program" "$payload")
  status=$?
  set -e
  echo "$name, wrong token (exit $status): $out"
  [[ $status -eq 1 ]] && head -1 <<<"$out" | grep -qx 'HTTP 403'

  set +e
  env -u LD_LIBRARY_PATH "$program" "$work/no-such-file" 2>/dev/null
  status=$?
  set -e
  [[ $status -eq 2 ]]
  passed=$((passed + 1))
done
echo "$passed passed, 0 failed"
