#!/usr/bin/env bash
# The daemon load and fault benchmark, three runs: builds daemon_load and the acidentity CLI in
# BUILD_DIR (default: build), runs it ROUNDS times (default 3) and prints each table with the
# load average. Only 127.0.0.1; each run is bounded (deliveries, attack requests, 120 s a phase).
#
#   bench/daemon/run.sh [BUILD_DIR] [daemon_load arguments...]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
BUILD=$ROOT/build
if [[ $# -gt 0 && $1 != --* ]]; then
  BUILD=$1
  shift
fi
ROUNDS=${ACID_BENCH_ROUNDS:-3}
cmake --build "$BUILD" -j2 --target daemon_load acidentity_cli >&2
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores"
for round in $(seq "$ROUNDS"); do
  echo "## run $round (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  "$BUILD/bench/daemon_load" "$@"
done
