"""A small HTTP client of the c64ft API for the commands that talk to the service."""

import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, connect_sse

from core.config import get_settings

TERMINAL = {"succeeded", "failed", "cancelled"}
RECONNECT_S = 60.0  # how long a dropped stream is retried before the command gives up


class ApiError(Exception):
    """The API refused a request, or could not be reached; the message says what to do."""


def make_client(api: str) -> httpx.Client:
    token = get_settings().api_token
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
    return httpx.Client(base_url=api, headers=headers, timeout=30)


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """One request; a service that does not answer is an ApiError saying how to start it."""
    try:
        response = client.request(method, path, **kwargs)
    except httpx.TransportError as exc:  # refused, timed out, a bad host name, …
        raise _unreachable(client, exc) from exc
    return _checked(response)


def _unreachable(client: httpx.Client, exc: httpx.TransportError) -> ApiError:
    return ApiError(
        f"could not reach the c64ft API at {client.base_url} ({type(exc).__name__}: {exc}).\n"
        "Start the service with `c64ft up` (or point --api at a running one)."
    )


def _checked(response: httpx.Response) -> dict[str, Any]:
    if response.is_success:
        return response.json()
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text
    if isinstance(detail, list):  # a 422: one line per field at fault
        detail = "\n".join(
            f"  {'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in detail
        )
    raise ApiError(f"HTTP {response.status_code}: {detail}")


def submit(client: httpx.Client, spec: dict[str, Any], *, dry_run: bool = False) -> dict:
    return _call(client, "POST", "/jobs", json=spec, params={"dry_run": dry_run})


def read_job(client: httpx.Client, job_id: str) -> dict:
    return _call(client, "GET", f"/jobs/{job_id}")


def list_jobs(client: httpx.Client, **filters: Any) -> dict:
    """GET /jobs: `status`, `kind`, `limit`, `before` (None means unset)."""
    return _call(client, "GET", "/jobs", params={k: v for k, v in filters.items() if v is not None})


def cancel(client: httpx.Client, job_id: str) -> dict:
    return _call(client, "POST", f"/jobs/{job_id}/cancel")


def checkpoints(client: httpx.Client, job_id: str) -> list[dict]:
    return _call(client, "GET", f"/jobs/{job_id}/checkpoints")["data"]


def new_events(client: httpx.Client, job_id: str, after: int) -> Iterator[dict]:
    """Every event after the id `after`, page by page."""
    while True:
        page = _call(client, "GET", f"/jobs/{job_id}/events", params={"after": after})
        yield from page["data"]
        if not page["has_more"] or not page["data"]:
            return
        after = page["data"][-1]["id"]


def latest_loss(client: httpx.Client, job_id: str, after: int) -> tuple[float | None, int]:
    """The last training loss logged after the metric id `after`, and the id read up to."""
    loss = None
    while True:
        page = _call(client, "GET", f"/jobs/{job_id}/metrics", params={"after": after})
        for point in page["data"]:
            after = point["id"]
            loss = point["loss"] if point["loss"] is not None else loss
        if not page["has_more"] or not page["data"]:
            return loss, after


class LatestLoss:
    """A job's last logged training loss, each call reading only the metrics logged since."""

    def __init__(self, client: httpx.Client, job_id: str) -> None:
        self.client, self.job_id, self.after = client, job_id, 0
        self.loss: float | None = None

    def __call__(self) -> float | None:
        newer, self.after = latest_loss(self.client, self.job_id, self.after)
        self.loss = newer if newer is not None else self.loss
        return self.loss


def event_line(event: dict) -> str:
    return f"[{event['level']}] {event['stage'] or '-'}: {event['message']}"


def _to_stderr(event: dict) -> None:
    print(event_line(event), file=sys.stderr)


def stream(client: httpx.Client, path: str) -> Iterator[ServerSentEvent]:
    """The server-sent events of `path` up to and including `event: end`. A dropped connection
    is reopened with `Last-Event-ID` (for up to RECONNECT_S), so no event is missed or repeated;
    the server's keep-alive comments arrive well within the client's read timeout."""
    last_id, connected, dropped_at = "", False, None
    while True:
        headers = {"Last-Event-ID": last_id} if last_id else {}
        try:
            with connect_sse(client, "GET", path, headers=headers) as source:
                if not source.response.is_success:
                    source.response.read()
                    _checked(source.response)
                connected, dropped_at = True, None
                for event in source.iter_sse():
                    last_id = event.id or last_id
                    if not event.data:  # a keep-alive comment, which httpx-sse hands on once
                        continue  # an id was seen (a browser dispatches no empty event)
                    yield event
                    if event.event == "end":
                        return
        except httpx.TransportError as exc:
            if not connected:
                raise _unreachable(client, exc) from exc
        # dropped, or closed before the end (the service restarting): open it again
        dropped_at = dropped_at or time.monotonic()
        if time.monotonic() - dropped_at > RECONNECT_S:
            raise ApiError(f"the stream {path} dropped and {client.base_url} did not come back")
        time.sleep(0.5)


def wait(client: httpx.Client, job_id: str, *, show: Callable[[dict], None] = _to_stderr) -> dict:
    """Follow a job's event stream until it finishes, showing each event; returns the job."""
    for event in stream(client, f"/jobs/{job_id}/events/stream"):
        if event.event == "job_event":
            show(event.json())
    return event.json()  # a stream's last event is `end`, the job at its final status
