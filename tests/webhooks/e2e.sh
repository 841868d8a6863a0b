#!/usr/bin/env bash
# End-to-end webhooks check from outside the process (SPEC 11): the debug server started as a user
# would, a receiver verifying every delivery with the PyPI `standardwebhooks` library (pinned, in a
# venv under target/), a checkout walked with curl, then every expected event must have arrived,
# verified. Bounded: each wait has a deadline; both processes are stopped by their PID.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=target/webhooks-venv
VERSION=1.1.0
if ! "$VENV/bin/python" -c "import standardwebhooks" 2>/dev/null \
  || ! "$VENV/bin/pip" show standardwebhooks 2>/dev/null | grep -q "^Version: $VERSION$"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "standardwebhooks==$VERSION"
fi

bin="${CARGO_TARGET_DIR:-target}/debug/impactapi"
dir=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
port=$(free_port)
rport=$(free_port)
key=ia_sk_webhookse2e000000000000000000000001
base="http://127.0.0.1:$port"
log="$dir/received.jsonl"
touch "$log"

"$VENV/bin/python" tests/webhooks/receiver.py "$rport" "$log" &
rpid=$!
IMPACTAPI_LOG=warn "$bin" --db "$dir/e2e.db" --bind "127.0.0.1:$port" --api-key "$key" \
  --admin-token ia_admin_webhookse2e00000000000000001 >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid $rpid 2>/dev/null || true; wait $pid $rpid 2>/dev/null || true; rm -rf "$dir"' EXIT

for _ in $(seq 1 100); do
  curl -fs "$base/healthz" >/dev/null && curl -s -o /dev/null "http://127.0.0.1:$rport/" && break
  kill -0 $pid 2>/dev/null || { cat "$dir/server.log"; exit 1; }
  sleep 0.1
done

api() { # METHOD PATH [BODY]: prints the response body; fails on a non-2xx status
  curl -fsS -X "$1" "$base$2" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    ${3:+--data "$3"}
}
field() { python3 -c 'import json, sys; d = json.load(sys.stdin)["data"]; print(eval("d" + sys.argv[1]))' "$1"; }

endpoint=$(api POST /webhook_endpoints "{\"url\": \"http://127.0.0.1:$rport/hooks\", \"description\": \"e2e\"}")
secret=$(echo "$endpoint" | field '["secret"]')
curl -fsS -X PUT "http://127.0.0.1:$rport/_secret" --data "$secret"

# The checkout, as a merchant's backend and its customer's browser walk it.
customer=$(api POST /customers '{"external_id": "e2e-1", "name": "Ada"}' | field '["id"]')
session=$(api POST /sessions "{\"type\": \"add_on\", \"amount\": 500, \"customer_id\": \"$customer\",
  \"available_campaigns\": [\"trees-for-the-future\", \"cleanhub\"]}")
sid=$(echo "$session" | field '["id"]')
ssecret=$(echo "$session" | field '["session_secret"]')
curl -fsS -X POST "$base/sessions/$sid/choose_campaign" -H "X-Session-Secret: $ssecret" \
  --data '{"campaign_identifier": "cleanhub"}' >/dev/null
api POST "/sessions/$sid/process" '{}' >/dev/null
intent=$(api POST "/sessions/$sid/confirm" '{}' | field '["donation_intents"][0]["id"]')
api PUT "/donation_intents/$intent/cancel" >/dev/null
api POST /donation_intents '[{"amount": 250, "campaign_identifier": "trees-for-the-future"}]' >/dev/null

expected="customer.created donation_session.created donation_session.updated donation_session.processing
donation_intent.created donation_session.confirmed donation_intent.cancelled donation_intent.created"
count=$(echo $expected | wc -w)
for _ in $(seq 1 200); do
  [ "$(grep -c '"verified": true' "$log")" -ge "$count" ] && break
  sleep 0.1
done

status=0
python3 - "$log" "$expected" <<'PY' || status=1
import collections, json, sys
entries = [json.loads(line) for line in open(sys.argv[1])]
bad = [e for e in entries if not e["verified"]]
if bad:
    sys.exit(f"webhooks e2e: {len(bad)} deliveries did not verify: {bad}")
got = collections.Counter(e["type"] for e in entries if not e["duplicate"])
want = collections.Counter(sys.argv[2].split())
if got != want:
    sys.exit(f"webhooks e2e: received {dict(got)}, expected {dict(want)}")
ids = [e["event_id"] for e in entries]
if any(e["webhook_id"] != e["event_id"] for e in entries):
    sys.exit("webhooks e2e: a webhook-id differs from its event id")
print(f"webhooks e2e: {len(entries)} deliveries, all verified with standardwebhooks; {len(set(ids))} distinct events")
PY
# The server's record agrees: every delivery succeeded.
eid=$(echo "$endpoint" | field '["id"]')
succeeded=$(api GET "/webhook_endpoints/$eid/deliveries?status=succeeded&per_page=1" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')
if [ "$succeeded" != "$count" ]; then
  echo "webhooks e2e: $succeeded deliveries succeeded, expected $count" >&2; status=1
fi
if [ $status -ne 0 ]; then echo "--- server log ---"; tail -n 40 "$dir/server.log"; fi
if [ $status -eq 0 ]; then echo "webhooks e2e: 1 passed, 0 failed"; else echo "webhooks e2e: 0 passed, 1 failed"; fi
exit $status
