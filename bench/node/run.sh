#!/usr/bin/env bash
# Per-call overhead of the Node addon against the same operations called from C, in one run:
#   isValidUserCode   a pure synchronous helper (acid_user_code_check)
#   getUser           an async store read, one at a time (await each) vs a C loop
#   getUser xN        N calls in flight from JS (libuv pool of UV_THREADPOOL_SIZE, default 4)
#                     vs N C threads
#   userCodeStats     another async store read, one at a time
#   metrics           an async call that touches no store: the binding's own round trip
#                     (queue to the pool, run, settle the promise, resume the awaiting function)
# Usage: bench/node/run.sh [--quick] [--prefix DIR] [--package DIR]
# Defaults: ACID_TEST_PREFIX (install prefix with acidentity.pc), ACIDENTITY_NODE_PACKAGE (a built
# bindings/node). Prints calls/s and the ratio Node/C (1.0 = no overhead).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
n_sync=2000000 n_async=20000
prefix=${ACID_TEST_PREFIX:-}
package=${ACIDENTITY_NODE_PACKAGE:-$here/../../bindings/node}
while (($#)); do
  case $1 in
    --quick) n_sync=100000 n_async=1000 ;;
    --prefix) prefix=$2; shift ;;
    --package) package=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
[[ -n $prefix ]] || { echo "set ACID_TEST_PREFIX or --prefix to an install prefix of libacidentity" >&2; exit 64; }
threads=${UV_THREADPOOL_SIZE:-4}

work=$(mktemp -d /tmp/acid-node-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
pcdir=$(dirname "$(find "$prefix" -name acidentity.pc | head -1)")
export PKG_CONFIG_PATH=$pcdir
cc -O2 -std=c99 -Wall -Wextra -Werror "$here/bench_c.c" -o "$work/bench_c" \
  $(pkg-config --cflags --libs acidentity) -Wl,-rpath,"$(pkg-config --variable=libdir acidentity)" -lpthread

# Alternating runs (C, Node, C, Node, ...): each figure is the best of its runs, so a burst of load
# from other processes on the machine does not land on one side only.
runs=${ACID_BENCH_RUNS:-3}
[[ $n_async -le 1000 ]] && runs=1
results=()
for ((r = 1; r <= runs; r++)); do
  results+=("C $("$work/bench_c" "$work/c$r.db" "$n_sync" "$n_async" "$threads")")
  results+=("J $(ACIDENTITY_NODE_PACKAGE=$package node "$here/bench.js" "$work/js$r.db" "$n_sync" "$n_async" "$threads")")
done
echo "runs: $runs alternating; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

printf '%s\n' "${results[@]}" >"$work/results"
node - "$work/results" "$n_sync" "$n_async" "$threads" <<'JS'
const [file, nSync, nAsync, threads] = process.argv.slice(2);
const lines = require('node:fs').readFileSync(file, 'utf8').trim().split('\n');
const best = (side) => {
  const out = {};
  for (const line of lines.filter((l) => l.startsWith(side + ' '))) {
    for (const [k, v] of Object.entries(JSON.parse(line.slice(2)))) out[k] = Math.max(out[k] ?? 0, v);
  }
  return out;
};
const C = best('C'), J = best('J');
const rows = [
  ['isValidUserCode (sync)', 'isValidUserCode', nSync],
  ['getUser, one at a time', 'getUser', nAsync],
  [`getUser, ${threads} in flight / ${threads} C threads`, 'getUserThreads', nAsync],
  ['userCodeStats, one at a time', 'userCodeStats', nAsync],
  ['metrics (in memory, no store), one at a time', 'metrics', nAsync],
];
const fmt = (n) => n.toLocaleString('en-US');
console.log(`${'operation'.padEnd(46)} ${'calls'.padStart(10)} ${'C calls/s'.padStart(12)} ${'Node calls/s'.padStart(13)} ${'Node/C'.padStart(7)} ${'overhead/call'.padStart(14)}`);
for (const [label, key, n] of rows) {
  const overheadUs = (1 / J[key] - 1 / C[key]) * 1e6;
  console.log(
    `${label.padEnd(46)} ${fmt(Number(n)).padStart(10)} ${fmt(C[key]).padStart(12)} ${fmt(J[key]).padStart(13)} ${(J[key] / C[key]).toFixed(2).padStart(7)} ${`${overheadUs.toFixed(2)} us`.padStart(14)}`,
  );
  if (!(J[key] > 0 && C[key] > 0)) process.exit(1);
}
JS
