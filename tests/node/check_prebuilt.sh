#!/usr/bin/env bash
# Usage: check_prebuilt.sh DIST_DIR WORK_DIR   (DIST_DIR holds acidentity-linux-*.tgz)
# Every ELF the platform package ships (acidentity.node and the shared libraries beside it) must
# load on AWS Lambda's Node 20/22 runtimes (Amazon Linux 2023: glibc 2.34, GCC 11's libstdc++):
#   - no GLIBC_ symbol version newer than 2.34, no GLIBCXX_ newer than 3.4.29 (objdump -T);
#   - every NEEDED library is glibc's or shipped in the package (readelf -d);
#   - ldd of the addon, with LD_LIBRARY_PATH unset, takes nothing but glibc from the system and
#     finds everything else in the package folder;
#   - no undefined symbol but Node-API's (ldd -r: those come from the node binary).
set -euo pipefail
dist=$(realpath "$1") work=$(realpath -m "$2")
tarball=$(ls "$dist"/acidentity-linux-*.tgz)
rm -rf "$work"
mkdir -p "$work"
tar -xzf "$tarball" -C "$work"
pkg=$(realpath "$work/package")
glibc_re='^(linux-vdso\.so|ld-linux[^ ]*\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libutil\.so|libanl\.so|libmvec\.so)'
max_glibc=2.34 max_glibcxx=3.4.29
fail=0
version_le() { [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" == "$2" ]]; }

shopt -s nullglob
elves=("$pkg"/acidentity.node "$pkg"/*.so.*)
[[ -f $pkg/acidentity.node ]] || { echo "no acidentity.node in $tarball"; exit 1; }
for elf in "${elves[@]}"; do
  name=$(basename "$elf")
  glibc=$(objdump -T "$elf" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1 || true)
  glibcxx=$(objdump -T "$elf" | grep -o 'GLIBCXX_[0-9.]*' | sed 's/GLIBCXX_//' | sort -V | tail -1 || true)
  if [[ -n $glibc ]] && ! version_le "$glibc" "$max_glibc"; then
    echo "FAIL $name needs GLIBC_$glibc (> $max_glibc):"
    objdump -T "$elf" | grep -E "GLIBC_2\.(3[5-9]|[4-9][0-9])" | head -5
    fail=1
  fi
  if [[ -n $glibcxx ]] && ! version_le "$glibcxx" "$max_glibcxx"; then
    echo "FAIL $name needs GLIBCXX_$glibcxx (> $max_glibcxx)"
    fail=1
  fi
  while read -r needed; do
    [[ $needed =~ $glibc_re || -e $pkg/$needed ]] && continue
    echo "FAIL $name needs $needed, which is neither glibc nor shipped"
    fail=1
  done < <(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  printf '%-28s GLIBC_%-6s GLIBCXX_%s\n' "$name" "${glibc:--}" "${glibcxx:--}"
done

readelf -d "$pkg/acidentity.node" | grep -E '\(RPATH\).*\$ORIGIN' >/dev/null ||
  { echo "FAIL acidentity.node has no DT_RPATH \$ORIGIN"; fail=1; }
ldd_out=$(env -u LD_LIBRARY_PATH ldd "$pkg/acidentity.node")
while read -r name _ path _; do
  if [[ $path == "not" ]]; then
    echo "FAIL ldd: $name not found"
    fail=1
  elif [[ ! $name =~ $glibc_re && $path != "$pkg"/* ]]; then
    echo "FAIL ldd: $name comes from the system ($path)"
    fail=1
  fi
done < <(awk '$2 == "=>" {print $1, $2, $3}' <<<"$ldd_out")
undefined=$(env -u LD_LIBRARY_PATH ldd -r "$pkg/acidentity.node" 2>&1 | grep 'undefined symbol' |
  grep -vE 'undefined symbol: (napi_|node_api_)' || true)
if [[ -n $undefined ]]; then
  echo "FAIL undefined symbols besides Node-API's:"
  head -20 <<<"$undefined"
  fail=1
fi
((fail == 0)) || exit 1
echo "ok: ${#elves[@]} ELF files, GLIBC <= $max_glibc, GLIBCXX <= $max_glibcxx, nothing but glibc from the system"
