#!/usr/bin/env bash
# Drives the acidentity CLI as a user would and checks output and exit statuses.
# Usage: test_cli.sh PATH_TO_ACIDENTITY
set -uo pipefail
cli=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
store="sqlite:$work/cli.db"
pass=0 fail=0

expect() {  # expect NAME WANT_STATUS WANT_REGEX -- command...
  local name=$1 want=$2 regex=$3
  shift 4
  local out status
  out=$("$@" 2>&1)
  status=$?
  if [[ $status -ne $want ]]; then
    echo "FAIL $name: exit $status, wanted $want; output: $out"
    fail=$((fail + 1))
  elif [[ -n "$regex" ]] && ! grep -Eq "$regex" <<<"$out"; then
    echo "FAIL $name: output does not match /$regex/: $out"
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
}

expect generate 0 '^ac25[bcdfghjkmnprstvwxyz][aeou][bcdfghjkmnprstvwxyz][aeou][bcdfghjkmnprstvwxyz]$' -- \
  "$cli" code generate --date 2025-10-14
[[ $("$cli" code generate --date 2024-01-01 --count 7 | grep -c '^ac24') == 7 ]] && pass=$((pass + 1)) ||
  { echo "FAIL generate --count"; fail=$((fail + 1)); }
expect generate-bad-date 64 'invalid date' -- "$cli" code generate --date 2025-13-40
expect check-valid 0 'valid' -- "$cli" code check ac25xadeh
expect check-invalid 1 'invalid: .*vowel' -- "$cli" code check ac25bcdfg
expect check-short 1 'invalid' -- "$cli" code check ac25bad
expect parse-found 0 '^ac25xadeh$' -- "$cli" code parse "Hi @jeffrey AC25XADEH!"
expect parse-none 1 'no user code' -- "$cli" code parse "nothing here"
expect allocate 0 '^ac26' -- "$cli" --store "$store" code allocate --date 2026-03-01 --count 3
[[ $("$cli" --store "$store" code allocate --date 2026-03-01 --count 500 | sort -u | wc -l) == 500 ]] &&
  pass=$((pass + 1)) || { echo "FAIL allocate 500 unique"; fail=$((fail + 1)); }
expect allocate-needs-date 64 'date' -- "$cli" --store "$store" code allocate
expect stats-table 0 'ac26 +503 ' -- "$cli" --store "$store" code stats --year 2026
expect stats-json 0 '"allocated":503' -- "$cli" --store "$store" code stats --json
expect bad-store 2 'ACID_ECONFIG' -- "$cli" --store "nosuch:x" code stats
expect no-command 64 '' -- "$cli"
expect version 0 '0\.1\.0' -- "$cli" --version

expect doctor-incomplete 1 'fail +pds +PDS_URL: not set' -- env -u PDS_URL -u PDS_ADMIN_PASSWORD \
  "$cli" --store "$store" doctor
expect doctor-bad-key 1 'ACID_CREDENTIALS_KEY' -- env ACID_CREDENTIALS_KEY=not-base64 "$cli" --store "$store" doctor
expect doctor-json 1 '"name":"store","status":"ok"' -- "$cli" --store "$store" doctor --json
expect user-unknown 1 'no user' -- "$cli" --store "$store" user show 'auth0|nobody'
expect set-handle-bad 1 'invalid' -- "$cli" --store "$store" user set-handle 'auth0|x' 'bad..handle'
expect ingest-no-token 2 'AUTH0_LOG_TOKEN' -- env -u AUTH0_LOG_TOKEN "$cli" --quiet --store "$store" ingest /dev/null
# Issue 13: a refused entry beside a signup is a dead letter; list and replay it.
printf '%s\n%s\n' '{"log_id":"cli-g1","data":{"type":"ss","date":"2025-10-14T08:30:00Z","user_id":"auth0|cli-dl"}}' \
  '{"log_id":"cli-b1","data":{"type":"fp","user_name":"\ud83d"}}' >"$work/dead.jsonl"
expect ingest-dead-letter 0 '"applied":1.*"kind":"invalid_text"' -- env AUTH0_LOG_TOKEN=t \
  "$cli" --quiet --store "$store" ingest "$work/dead.jsonl"
expect dead-letters-list 0 'invalid_text' -- "$cli" --store "$store" dead-letters list
dl_id=$("$cli" --store "$store" dead-letters list --json 2>/dev/null | grep -oE '"id":"[0-9a-f]{20}"' | head -1 | cut -d'"' -f4)
expect dead-letters-replay-refused 1 'still refused' -- "$cli" --quiet --store "$store" dead-letters replay "$dl_id"
expect dead-letters-replay-unknown 1 'no dead letter' -- "$cli" --quiet --store "$store" dead-letters replay 00000000000000000000
expect pds-handle 0 '"handle":"a-b.at.aesthetic.computer"' -- "$cli" pds handle a_b --code ac25xadeh
expect pds-handle-short 0 '"handle":"ac25xadeh.at.aesthetic.computer","fallback":true' -- \
  "$cli" pds handle @43 --code ac25xadeh

# Content documents and the sync commands (no PDS needed for these).
mood='{"collection":"moods","_id":"cli-m1","user":"auth0|cli-nobody","mood":"calm","when":"2025-10-14T00:00:00.000Z","deleted":false}'
printf '%s\n{"collection":"moods","_id":"cli-m2"}\n' "$mood" >"$work/bad.jsonl"
printf '%s\n' "$mood" >"$work/good.jsonl"
expect content-import-bad 1 'line 2: .*nothing was imported' -- "$cli" --store "$store" content import "$work/bad.jsonl"
expect content-delete-absent 1 'no moods document cli-m1' -- "$cli" --store "$store" content delete moods cli-m1
expect content-import 0 '"changed":1' -- "$cli" --store "$store" content import "$work/good.jsonl"
expect content-import-stdin 0 '"unchanged":1' -- "$cli" --store "$store" content import - <"$work/good.jsonl"
expect content-import-missing 2 'cannot read' -- "$cli" --store "$store" content import "$work/none.jsonl"
expect sync-dry-run 0 '"dry_run":true.*"skipped_users":1' -- env -u PDS_URL \
  "$cli" --store "$store" sync records --collection moods
expect sync-bad-collection 64 'news' -- "$cli" --store "$store" sync records --collection news
expect sync-verify-needs-pds 2 'ACID_ECONFIG' -- env -u PDS_URL "$cli" --store "$store" sync verify
expect sync-document-skipped 0 '"action":"skipped","reason":"unknown user"' -- env -u PDS_URL \
  "$cli" --store "$store" sync document moods cli-m1
expect sync-document-absent 1 'no moods document cli-m9' -- "$cli" --store "$store" sync document moods cli-m9
expect sync-document-bad-collection 1 'unknown content collection' -- \
  "$cli" --store "$store" sync document news cli-m1
expect content-delete 0 'marked deleted' -- "$cli" --store "$store" content delete moods cli-m1
expect content-delete-bad-collection 1 'unknown content collection' -- \
  "$cli" --store "$store" content delete news cli-m1

# Credentials (no PDS needed for these; tests/capi/test_capi_credentials_live.cpp and
# tests/audit/test_backfill_cli.cpp drive them on the real PDS).
key=$(head -c 32 /dev/urandom | base64)
expect credentials-unknown 1 'no user' -- "$cli" --store "$store" user credentials 'auth0|nobody'
expect credentials-status 0 'plaintext +0' -- "$cli" --store "$store" credentials status
expect credentials-status-json 0 '"plaintext":0' -- "$cli" --store "$store" credentials status --json
expect seal-no-scope 64 'exactly one of --all or --user' -- "$cli" --store "$store" credentials seal
expect seal-both-scopes 64 'exactly one' -- "$cli" --store "$store" credentials seal --all --user 'a|b'
expect seal-no-key 2 'ACID_ECONFIG' -- env -u ACID_CREDENTIALS_KEY "$cli" --store "$store" credentials seal --all
expect seal-nothing 0 'sealed 0' -- env ACID_CREDENTIALS_KEY="$key" "$cli" --store "$store" credentials seal --all
expect seal-service 1 'service account' -- env ACID_CREDENTIALS_KEY="$key" \
  "$cli" --store "$store" credentials seal --user art-guest

# Two processes allocating into one store at once get disjoint codes.
"$cli" --store "$store" code allocate --date 2027-01-01 --count 400 >"$work/a" &
"$cli" --store "$store" code allocate --date 2027-01-01 --count 400 >"$work/b" &
wait
if [[ $(cat "$work/a" "$work/b" | sort -u | wc -l) == 800 ]]; then
  pass=$((pass + 1))
else
  echo "FAIL concurrent CLI allocation produced duplicates or errors"
  fail=$((fail + 1))
fi

echo "cli: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
