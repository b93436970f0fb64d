#!/usr/bin/env bash
# Usage: check_exports.sh LIBRARY EXPECTED_SONAME [HEADER]
# Fails if the library exports anything but acid_* functions, or has the wrong SONAME; with the
# public HEADER, also if a function it declares is not exported or an exported one is undeclared
# (a declaration without a definition links nowhere).
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
if [[ $# -ge 3 ]]; then
  declared=$(grep '^ACID_EXTERN' "$3" | grep -oE 'acid_[a-z0-9_]+\(' | tr -d '(' | sort -u)
  missing=$(comm -23 <(echo "$declared") <(grep '^acid_' <<<"$exported"))
  undeclared=$(comm -13 <(echo "$declared") <(grep '^acid_' <<<"$exported"))
  if [[ -n "$missing" || -n "$undeclared" ]]; then
    [[ -n "$missing" ]] && echo "declared in $3 but not exported: $missing" >&2
    [[ -n "$undeclared" ]] && echo "exported but not declared in $3: $undeclared" >&2
    exit 1
  fi
fi
count=$(grep -c '^acid_' <<<"$exported")
echo "ok: SONAME $soname, $count acid_* symbols exported, nothing else"
