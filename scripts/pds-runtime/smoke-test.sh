#!/usr/bin/env bash
# End-to-end check of scripts/pds against DIR (default: a fresh temporary directory):
# start, describeServer, invite, createAccount, createSession, loopback-only listeners,
# stop, start again, then the same account still logs in, its handle resolves and its DID
# still resolves in the PLC directory. Stops the services it started and prints
# "N passed, N failed". Needs bash, curl and ss; talks to 127.0.0.1 only.
set -euo pipefail

PDS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)/pds
OWN_DIR=
if [[ -n ${1:-} ]]; then
  DIR=$1
else
  DIR=$(mktemp -d /tmp/pds-smoke.XXXXXX)
  OWN_DIR=1
fi

passed=0
failed=0
check() { # check NAME COMMAND...: records the outcome of COMMAND
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    printf 'ok    %s\n' "$name"
  else
    failed=$((failed + 1))
    printf 'FAIL  %s\n' "$name"
  fi
}
contains() { [[ $1 == *"$2"* ]]; }
json_str() { # json_str JSON KEY: the first string value of KEY
  [[ $1 =~ \"$2\":\"([^\"]*)\" ]] && printf '%s' "${BASH_REMATCH[1]}"
}

cleanup() {
  "$PDS" stop "$DIR" >/dev/null 2>&1 || true
  [[ -z $OWN_DIR ]] || rm -rf "$DIR"
}
trap cleanup EXIT

load_env() {
  local k v
  while IFS='=' read -r k v; do
    case $k in PDS_URL | PDS_ADMIN_PASSWORD | PDS_HANDLE_DOMAIN | PLC_URL | PDS_DID) printf -v "$k" '%s' "$v" ;; esac
  done <"$DIR/env"
}

post() { # post PATH JSON [curl args...]
  local path=$1 body=$2
  shift 2
  curl -sS --max-time 30 -H 'content-type: application/json' -d "$body" "$@" "$PDS_URL/xrpc/$path"
}

"$PDS" start "$DIR" >/dev/null
load_env
check "env file is 0600" test "$(stat -c %a "$DIR/env")" = 600
check "env has a loopback PDS_URL" contains "$PDS_URL" "http://127.0.0.1:"
check "PDS_HANDLE_DOMAIN" test "$PDS_HANDLE_DOMAIN" = at.aesthetic.test

desc=$(curl -sS --max-time 10 "$PDS_URL/xrpc/com.atproto.server.describeServer")
check "describeServer: invite required" contains "$desc" '"inviteCodeRequired":true'
check "describeServer: domain" contains "$desc" '"availableUserDomains":[".at.aesthetic.test"]'
check "describeServer: did" contains "$desc" "\"did\":\"$PDS_DID\""

invite=$(post com.atproto.server.createInviteCode '{"useCount":1}' -u "admin:$PDS_ADMIN_PASSWORD")
code=$(json_str "$invite" code) || code=
check "createInviteCode with admin auth" test -n "$code"

handle=smoke$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n').$PDS_HANDLE_DOMAIN
password=pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
account=$(post com.atproto.server.createAccount \
  "{\"handle\":\"$handle\",\"email\":\"${handle%%.*}@example.com\",\"password\":\"$password\",\"inviteCode\":\"$code\"}")
did=$(json_str "$account" did) || did=
check "createAccount $handle" contains "$did" "did:plc:"

session=$(post com.atproto.server.createSession "{\"identifier\":\"$handle\",\"password\":\"$password\"}")
check "createSession" contains "$session" "\"did\":\"$did\""

pids=$(cat "$DIR/plc.pid" "$DIR/pds.pid" | paste -sd '|')
listeners=$(ss -ltnpH | grep -E "pid=($pids)," || true)
check "both services listen" test "$(grep -c . <<<"$listeners")" -ge 2
check "only on 127.0.0.1" test -z "$(awk '$4 !~ /^127\.0\.0\.1:/' <<<"$listeners")"

"$PDS" stop "$DIR" >/dev/null 2>&1
check "stopped: status fails" bash -c "! '$PDS' status '$DIR' >/dev/null 2>&1"
"$PDS" start "$DIR" >/dev/null 2>&1
load_env

session=$(post com.atproto.server.createSession "{\"identifier\":\"$handle\",\"password\":\"$password\"}")
check "createSession after restart" contains "$session" "\"did\":\"$did\""
resolved=$(curl -sS --max-time 10 "$PDS_URL/xrpc/com.atproto.identity.resolveHandle?handle=$handle")
check "resolveHandle after restart" test "$resolved" = "{\"did\":\"$did\"}"
doc=$(curl -sS --max-time 10 "$PLC_URL/$did")
check "DID resolves in PLC after restart" contains "$doc" "\"alsoKnownAs\":[\"at://$handle\"]"
repo=$(curl -sS --max-time 10 "$PDS_URL/xrpc/com.atproto.repo.describeRepo?repo=$did")
check "describeRepo: the PDS resolves the DID" contains "$repo" '"handleIsCorrect":true'

printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
