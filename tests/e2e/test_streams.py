"""The server-sent event streams of a job against a real uvicorn and a real worker running the
echo kind (tests/kinds/echo.py): resumed without loss or repeat, complete, ended, guarded; and
`c64ft logs --follow` and `watch` reading them across an API restart."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from httpx_sse import ServerSentEvent, connect_sse

from c64ft import client
from tests.e2e.service import Service

ROOT = Path(__file__).parents[2]
TOKEN = "stream-token"
pytestmark = pytest.mark.slow


def start_echo_service(tmp_path: Path, redis_url: str, **env: str) -> Service:
    service = Service(tmp_path, redis_url)
    service.env |= {
        "C64FT_EXTRA_KINDS": '["tests.kinds.echo"]',
        "PYTHONPATH": str(ROOT),
        "C64FT_API_TOKEN": TOKEN,
        "C64FT_STREAM_PING_S": "0.2",  # keep-alive comments within every stream here
        **env,
    }
    service.http.headers["Authorization"] = f"Bearer {TOKEN}"
    service.start_api()
    service.start_worker("cpu")
    return service


@pytest.fixture
def echo_service(tmp_path, redis_client, redis_url):
    service = start_echo_service(tmp_path, redis_url)
    yield service
    service.stop()
    print(service.logs())


def test_a_stream_past_its_time_closes_and_a_client_resumes_without_loss(
    tmp_path, redis_client, redis_url
):
    service = start_echo_service(tmp_path, redis_url, C64FT_STREAM_MAX_S="0.5")
    try:
        job = service.submit({"kind": "echo", "times": 40, "pause_s": 0.05})  # 2 s or more
        path = f"/jobs/{job['id']}/events/stream"
        started = time.monotonic()
        cut = read(service, path)  # until the server closes it
        assert time.monotonic() - started < 5
        assert cut and all(e.event == "job_event" for e in cut)  # closed without `end`

        followed = list(client.stream(service.http, path))  # reconnects with Last-Event-ID
        assert followed[-1].event == "end" and followed[-1].json()["status"] == "succeeded"
        assert [e.json() for e in followed[:-1]] == service.events(job["id"])
    finally:
        service.stop()
        print(service.logs())


def read(service: Service, path: str, headers: dict | None = None, count: int | None = None):
    """The events of the stream `path`: `count` of them, or all until the server closes it."""
    received: list[ServerSentEvent] = []
    with connect_sse(service.http, "GET", path, headers=headers or {}) as source:
        assert source.response.status_code == 200, source.response.read()
        for event in source.iter_sse():
            if not event.data:  # a keep-alive comment (httpx-sse hands it on after an id)
                continue
            received.append(event)
            if len(received) == count:
                break  # leaving the block drops the connection mid-stream
    return received


def test_a_resumed_event_stream_misses_none_repeats_none_and_ends(echo_service):
    service = echo_service
    job = service.submit({"kind": "echo", "word": "SID", "times": 40, "pause_s": 0.05})
    path = f"/jobs/{job['id']}/events/stream"
    first = read(service, path, count=5)
    time.sleep(0.5)  # events go on being written while no client listens
    rest = read(service, path, headers={"Last-Event-ID": first[-1].id})

    assert [e.event for e in first + rest[:-1]] == ["job_event"] * (len(first) + len(rest) - 1)
    assert rest[-1].event == "end" and rest[-1].json()["status"] == "succeeded"
    assert [e.json() for e in first + rest[:-1]] == service.events(job["id"])
    assert [int(e.id) for e in first + rest[:-1]] == [e["id"] for e in service.events(job["id"])]
    after = read(service, f"{path}?after={first[-1].id}")  # the query form, on a finished job
    assert [e.json() for e in after] == [e.json() for e in rest]


def test_the_progress_stream_delivers_every_metric_point_then_ends(echo_service):
    service = echo_service
    job = service.submit({"kind": "echo", "times": 30, "pause_s": 0.05})  # 1.5 s or more
    with service.http.stream("GET", f"/jobs/{job['id']}/stream") as response:
        raw = response.read().decode()
    assert ": ping" in raw  # sse-starlette's keep-alive comment, every C64FT_STREAM_PING_S
    events = read(service, f"/jobs/{job['id']}/stream")

    assert events[0].event == "progress" and events[0].json()["id"] == job["id"]
    assert events[-1].event == "end" and events[-1].json()["status"] == "succeeded"
    points = [e.json() for e in events if e.event == "metric"]
    listed = service.http.get(f"/jobs/{job['id']}/metrics").json()["data"]
    assert len(points) == 30 and points == listed
    assert {e.event for e in events} == {"progress", "metric", "end"}
    assert [int(e.id) for e in events if e.event == "metric"] == [p["id"] for p in listed]


def test_streams_answer_404_for_an_unknown_job_and_401_without_the_token(echo_service):
    service = echo_service
    for path in ("/jobs/job_none/events/stream", "/jobs/job_none/stream"):
        missing = service.http.get(path)
        assert missing.status_code == 404 and "job_none" in missing.json()["detail"]
        anonymous = httpx.get(f"{service.url}{path}")
        assert anonymous.status_code == 401 and "token" in anonymous.json()["detail"]
    job = service.submit({"kind": "echo"})
    bad = service.http.get(f"/jobs/{job['id']}/stream", headers={"Last-Event-ID": "x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["header", "last-event-id"]


def test_logs_follow_and_watch_read_the_streams_across_an_api_restart(echo_service):
    service = echo_service
    job = service.submit({"kind": "echo", "word": "VIC", "times": 60, "pause_s": 0.1})
    argv = [sys.executable, "-m", "c64ft"]
    api = ["--api", service.url]
    env = {**service.env, "PYTHONPATH": str(ROOT)}
    logs = subprocess.Popen(
        [*argv, "logs", job["id"], "--follow", *api], env=env, stdout=subprocess.PIPE, text=True
    )
    watch = subprocess.Popen(
        [*argv, "watch", job["id"], "--every", "1", *api],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert logs.stdout is not None and watch.stderr is not None and service.api is not None
    first_logged, first_watched = logs.stdout.readline(), watch.stderr.readline()  # connected
    assert service.job(job["id"])["status"] == "running"
    os.killpg(service.api.pid, signal.SIGKILL)  # both streams drop mid-job
    service.api.wait()
    service.start_api()
    # read on from the same file objects: readline may have buffered later lines, which
    # communicate(timeout=…) would skip (it reads the pipes' descriptors)
    logged, watched = first_logged + logs.stdout.read(), first_watched + watch.stderr.read()
    logs.wait(60)
    watch.wait(60)

    assert logs.returncode == 0 and watch.returncode == 0, watched
    events = service.events(job["id"])
    assert [line.split(" ", 1)[1] for line in logged.splitlines()] == [
        f"[{e['level']}] {e['stage'] or '-'}: {e['message']}" for e in events
    ]
    assert [e["message"] for e in events].count("echo: VIC") == 60
    assert "step " in watched and "/60" in watched and "loss " in watched
    assert f"{job['id']} succeeded" in watched
