#!/usr/bin/env bash
# The content sync benchmark end to end: builds bench_sync, starts a local PDS in
# $ACID_BENCH_PDS_DIR (default /tmp/bench-pds) unless one runs there, runs it, and stops the PDS
# again if this script started it.
#
#   bench/sync/run.sh [BUILD_DIR] [bench_sync arguments...]     e.g. --moods 1000
#   BENCH=bench_sync_document bench/sync/run.sh [BUILD_DIR] --moods 300   write-time latency
#
# BUILD_DIR defaults to build-bench (cmake -S . -B build-bench -G Ninja -DACID_BUILD_BENCH=ON).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
BUILD=$ROOT/build-bench
if [[ $# -gt 0 && $1 != --* ]]; then
  BUILD=$1
  shift
fi
PDS_DIR=${ACID_BENCH_PDS_DIR:-/tmp/bench-pds}
BENCH=${BENCH:-bench_sync}
[[ $BENCH == bench_sync || $BENCH == bench_sync_document ]] ||
  { echo "run.sh: BENCH must be bench_sync or bench_sync_document" >&2; exit 64; }

[[ -f $BUILD/build.ninja || -f $BUILD/Makefile ]] ||
  { echo "run.sh: $BUILD is not a configured build directory" >&2; exit 2; }
cmake --build "$BUILD" -j2 --target "$BENCH" >&2

started_pds=
stop_pds() {
  if [[ -n $started_pds ]]; then
    "$ROOT/scripts/pds" stop "$PDS_DIR" >&2 || echo "run.sh: stopping the PDS in $PDS_DIR failed" >&2
  fi
}
trap stop_pds EXIT

if "$ROOT/scripts/pds" status "$PDS_DIR" >/dev/null 2>&1; then
  echo "run.sh: using the PDS already running for $PDS_DIR (left running)" >&2
else
  started_pds=1
  "$ROOT/scripts/pds" start "$PDS_DIR" >/dev/null
fi

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$ROOT" rev-parse --short HEAD)," \
  "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/$BENCH" --pds-env "$PDS_DIR/env" "$@"
echo "# done $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
