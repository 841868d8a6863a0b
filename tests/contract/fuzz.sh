#!/usr/bin/env bash
# Contract fuzzing: schemathesis (PyPI, pinned, in a venv under target/) against a live debug server
# on a fresh database, driven by the server's own /openapi.json. It must find no 5xx, no response
# that breaks its schema, and no hang (each request times out after 5 s). Bounded: a fixed number of
# examples per operation and an overall time budget.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=target/fuzz-venv
SCHEMATHESIS_VERSION=4.32.5
if [ ! -x "$VENV/bin/schemathesis" ] || ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

bin="${CARGO_TARGET_DIR:-target}/debug/impactapi"
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
key=ia_sk_contractfuzz00000000000000000000001
IMPACTAPI_LOG=warn "$bin" --db "$dir/fuzz.db" --bind "127.0.0.1:$port" --api-key "$key" \
  --admin-token ia_admin_contractfuzz000000000000000001 >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
healthy() {
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
    "http://127.0.0.1:$port/healthz" 2>/dev/null
}
for _ in $(seq 1 100); do
  healthy && break
  kill -0 $pid 2>/dev/null || { cat "$dir/server.log"; exit 1; }
  sleep 0.1
done

status=0
"$VENV/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
  -H "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${FUZZ_EXAMPLES:-25}" --max-time "${FUZZ_MAX_SECONDS:-150}" \
  --request-timeout 5 --workers 1 --seed "${FUZZ_SEED:-20261125}" \
  --generation-database none --no-color || status=$?

# The server must have survived the whole run.
healthy || { echo "fuzz: the server stopped answering" >&2; status=1; }
if grep -q "panicked" "$dir/server.log"; then
  echo "fuzz: the server panicked:" >&2; grep -A3 panicked "$dir/server.log" >&2; status=1
fi
if [ $status -eq 0 ]; then echo "fuzz: 1 passed, 0 failed"; else echo "fuzz: 0 passed, 1 failed"; fi
exit $status
