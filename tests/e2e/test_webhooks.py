"""Webhooks end to end: a real API and Celery worker post a job's events to receivers started
by the test, which verify every signature with the Standard Webhooks library."""

import socket
import threading
from collections import Counter
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from c64ft.processes import free_port
from tests.e2e.service import Service, wait_until

ROOT = Path(__file__).parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
FAST_WEBHOOKS = {
    "C64FT_WEBHOOK_SECRET": SECRET,
    "C64FT_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]',
    "C64FT_WEBHOOK_MAX_ATTEMPTS": "3",
    "C64FT_WEBHOOK_RETRY_BASE_S": "0.3",
    "C64FT_WEBHOOK_TIMEOUT_S": "2",
    "C64FT_WEBHOOK_POLL_S": "0.1",
    "C64FT_EXTRA_KINDS": '["tests.kinds.echo"]',  # a job that ends in milliseconds
    "PYTHONPATH": str(ROOT),
}


class Receiver:
    """Verifies each POST's signature; `/flaky` answers 500 to a message's first two tries."""

    def __init__(self) -> None:
        self.verified: list[tuple[str, str, dict]] = []  # (path, webhook-id, payload)
        self.refused: list[str] = []
        self.tries: Counter[str] = Counter()
        receiver, signer = self, Webhook(SECRET)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                try:
                    payload = signer.verify(body, dict(self.headers))
                except WebhookVerificationError as exc:
                    receiver.refused.append(str(exc))
                    return self._answer(400)
                message = self.headers["webhook-id"]
                receiver.tries[message] += 1
                receiver.verified.append((self.path, message, payload))
                flaky = self.path == "/flaky" and receiver.tries[message] <= 2
                self._answer(500 if flaky else 204)

            def _answer(self, code: int) -> None:
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, path: str) -> list[str]:
        return [payload["type"] for p, _, payload in self.verified if p == path]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def hooks_service(tmp_path, redis_client, redis_url):
    service = Service(tmp_path, redis_url)
    service.env |= FAST_WEBHOOKS
    service.start_api()
    service.start_worker("cpu")
    yield service
    service.stop()
    print(service.logs())


def deliveries(service: Service, job_id: str) -> list[dict]:
    response = service.http.get(f"/jobs/{job_id}/webhooks")
    assert response.status_code == 200, response.text
    return response.json()["data"]


def settled(service: Service, job_id: str, count: int) -> list[dict] | None:
    """The job's deliveries once there are `count` and none is pending any more."""
    rows = deliveries(service, job_id)
    return rows if len(rows) == count and all(d["status"] != "pending" for d in rows) else None


def echo(service: Service, *webhooks: dict) -> dict:
    job = service.submit({"kind": "echo", "word": "SID", "webhooks": list(webhooks)})
    done = service.wait(job["id"], timeout=60)
    assert done["status"] == "succeeded", service.logs()
    return done


def test_events_arrive_signed_and_a_500_is_retried_until_the_third_try(hooks_service, receiver):
    service = hooks_service
    flaky = {"url": f"{receiver.url}/flaky", "events": ["job.succeeded"]}
    job = echo(service, {"url": f"{receiver.url}/ok"}, flaky)

    rows = wait_until(lambda: settled(service, job["id"], 4), 30, "the 4 deliveries to settle")
    assert receiver.refused == []  # every signature verified
    # several tries are in flight at once, so events may arrive in any order
    assert sorted(receiver.events("/ok")) == ["job.queued", "job.running", "job.succeeded"]
    assert receiver.events("/flaky") == ["job.succeeded"] * 3  # the same message, 3 tries
    assert len({m for p, m, _ in receiver.verified if p == "/flaky"}) == 1
    [succeeded] = [
        payload
        for path, _, payload in receiver.verified
        if path == "/ok" and payload["type"] == "job.succeeded"
    ]
    assert succeeded["data"]["id"] == job["id"] and succeeded["data"]["result"] == job["result"]

    [retried] = [d for d in rows if d["url"].endswith("/flaky")]
    assert retried["status"] == "delivered" and retried["event"] == "job.succeeded"
    assert [a["status_code"] for a in retried["attempts"]] == [500, 500, 204]
    assert [a["number"] for a in retried["attempts"]] == [1, 2, 3]
    assert all(d["status"] == "delivered" for d in rows)


def test_a_url_outside_the_allow_list_is_refused_at_submission(hooks_service):
    body = {"kind": "echo", "webhooks": [{"url": "http://10.0.0.1:8080/steal"}]}
    response = hooks_service.http.post("/jobs", json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "webhooks", "0", "url"] and "10.0.0.1" in error["msg"]


def run_time_s(job: dict) -> float:
    started, finished = (datetime.fromisoformat(job[k]) for k in ("started_at", "finished_at"))
    return (finished - started).total_seconds()


def test_an_unreachable_receiver_does_not_delay_the_job(hooks_service):
    service = hooks_service
    blackhole = socket.create_server(("127.0.0.1", 0), backlog=32)  # accepts, never answers
    closed = f"http://127.0.0.1:{free_port()}/"
    try:
        plain = echo(service)
        job = echo(
            service, {"url": closed}, {"url": f"http://127.0.0.1:{blackhole.getsockname()[1]}/"}
        )
        assert run_time_s(job) < run_time_s(plain) + 1.0

        rows = wait_until(lambda: settled(service, job["id"], 6), 60, "the tries to give up")
    finally:
        blackhole.close()
    assert {d["status"] for d in rows} == {"failed"}
    errors = {d["url"]: {a["error"].split(":")[0] for a in d["attempts"]} for d in rows}
    assert errors[closed] == {"ConnectError"}
    assert {e for url, kinds in errors.items() if url != closed for e in kinds} == {"ReadTimeout"}
    assert all(len(d["attempts"]) == 3 for d in rows)
