"""A merchant's webhook receiver for the end-to-end check: every delivery is verified with the PyPI
`standardwebhooks` library (not impactapi's code), then logged as one JSON line.

    receiver.py PORT LOG      # PUT /_secret with the endpoint's secret before the first delivery

Answers 204 to a verified delivery (its first time: a repeated webhook-id is logged as a duplicate
and answered 204 too, as a receiver that de-duplicates would), 400 to one that does not verify.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

state = {"secret": None, "seen": set()}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        with lock:
            state["secret"] = body.strip()
        self.send_response(204)
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        entry = {"path": self.path, "webhook_id": headers.get("webhook-id")}
        try:
            with lock:
                secret = state["secret"]
            event = Webhook(secret).verify(body, headers)
            entry.update(verified=True, type=event["type"], event_id=event["id"])
            with lock:
                entry["duplicate"] = event["id"] in state["seen"]
                state["seen"].add(event["id"])
            status = 204
        except (WebhookVerificationError, TypeError, ValueError, KeyError) as e:
            entry.update(verified=False, error=str(e))
            status = 400
        with lock, open(LOG, "a") as log:
            log.write(json.dumps(entry) + "\n")
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port, LOG = int(sys.argv[1]), sys.argv[2]
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
