"""One try, against a receiver of the test's own: the body arrives signed so that the Standard
Webhooks library verifies it, and every failure is an outcome, never an exception."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from c64ft.processes import free_port
from core.webhooks.sending import post

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def receiver():
    received: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append((dict(self.headers), body))
            self.send_response(500 if self.path == "/broken" else 204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()


def test_a_try_arrives_signed_and_verifies(receiver):
    url, received = receiver
    payload = {"type": "job.succeeded", "timestamp": "2026-01-01T00:00:00+00:00", "data": {}}
    with httpx.Client(timeout=5) as client:
        outcome = post(client, Webhook(SECRET), "msg_1", f"{url}/hook", payload)
    assert outcome.ok and outcome.status_code == 204
    [(headers, body)] = received
    assert Webhook(SECRET).verify(body, headers) == payload
    assert headers["webhook-id"] == "msg_1" and json.loads(body) == payload
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 32).verify(body, headers)


def test_a_failed_try_is_an_outcome(receiver):
    url, _ = receiver
    with httpx.Client(timeout=5) as client:
        broken = post(client, Webhook(SECRET), "msg_2", f"{url}/broken", {})
        refused = post(client, Webhook(SECRET), "msg_3", f"http://127.0.0.1:{free_port()}/", {})
    assert not broken.ok and broken.status_code == 500 and broken.error == "HTTP 500"
    assert not refused.ok and refused.status_code is None and "ConnectError" in refused.error
