#!/usr/bin/env bash
# Usage: check_exports.sh LIBRARY EXPECTED_SONAME
# Fails if the library exports anything but acid_* functions, or has the wrong SONAME.
set -euo pipefail
lib=$1
want_soname=$2
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
if [[ "$soname" != "$want_soname" ]]; then
  echo "SONAME is '$soname', expected '$want_soname'" >&2
  exit 1
fi
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort)
bad=$(grep -v '^acid_' <<<"$exported" | grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' || true)
if [[ -n "$bad" ]]; then
  echo "symbols exported outside the acid_ prefix:" >&2
  echo "$bad" | head -20 >&2
  exit 1
fi
count=$(grep -c '^acid_' <<<"$exported")
echo "ok: SONAME $soname, $count acid_* symbols exported, nothing else"
