#!/usr/bin/env bash
# The daemon's HTTP surface: `acidentity serve` on a free port with an embedded store (no PDS
# needed: nothing here is verified), driven with curl. Checks the webhook and handle-change
# routes' statuses, that a refused request writes nothing, /healthz, /metrics, and a clean
# SIGTERM. Usage: test_daemon.sh PATH_TO_ACIDENTITY
set -uo pipefail
cli=$1
work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
check() {  # check NAME GOT WANT
  if [[ "$2" == "$3" ]]; then pass=$((pass + 1)); else
    echo "FAIL $1: got '$2', wanted '$3'"
    fail=$((fail + 1))
  fi
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ACID_STORE="sqlite:$work/d.db" AUTH0_LOG_TOKEN=hook ACID_HANDLE_CHANGED_TOKEN=handles \
  ACID_CREDENTIALS_KEY="$(head -c 32 /dev/urandom | base64)" \
  "$cli" serve --listen "127.0.0.1:$port" --workers 1 2>"$work/daemon.log" &
pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
url="http://127.0.0.1:$port"
post() {  # post PATH AUTH BODY -> HTTP status
  curl -s -o "$work/body" -w '%{http_code}' -X POST -H "Authorization: $2" \
    -H 'Content-Type: application/json' --data-binary "$3" "$url$1"
}

check healthz "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" 200
signup='[{"log_id":"d1","data":{"type":"ss","date":"2025-10-14T08:30:00Z","user_id":"auth0|d1","user_name":"d1@example.com"}}]'
check events-wrong-token "$(post /auth0-events 'Bearer nope' "$signup")" 403
check events-malformed "$(post /auth0-events 'Bearer hook' '{"logs": 3}')" 400
check events-unknown-tenant "$(post /auth0-events/other 'Bearer hook' "$signup")" 404
check events-sotce-unconfigured "$(post /auth0-events/sotce 'Bearer hook' "$signup")" 503
check handle-before-signup "$(post /handle-changed 'Bearer handles' '{"sub":"auth0|d1","handle":"dd"}')" 404
check events-ok "$(post /auth0-events 'Bearer hook' "$signup")" 200
check events-applied "$(grep -o '"applied":1' "$work/body")" '"applied":1'
check handle-webhook-token "$(post /handle-changed 'Bearer hook' '{"sub":"auth0|d1","handle":"dd"}')" 403
check handle-bad-body "$(post /handle-changed 'Bearer handles' '{"sub":"auth0|d1"}')" 400
check handle-ok "$(post /handle-changed 'Bearer handles' '{"sub":"auth0|d1","handle":"@dd"}')" 200
check handle-body "$(cat "$work/body")" '{"sub":"auth0|d1","handle":"dd"}'
check metrics "$(curl -s "$url/metrics" | grep -c 'acid_handle_change_requests_total{status="200"} 1')" 1

kill -TERM "$pid"
wait "$pid"
check sigterm-exit $? 0
pid=""
check stored-handle "$(ACID_STORE="sqlite:$work/d.db" "$cli" --quiet user show 'auth0|d1' --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["handle"])')" dd

echo "daemon: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
