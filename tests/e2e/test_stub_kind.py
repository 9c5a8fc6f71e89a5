"""A kind of one's own, registered in a few lines (tests/kinds/echo.py): the real API takes it,
its OpenAPI document shows it, the CLI lists it and a real worker runs it."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.service import Service

ROOT = Path(__file__).parents[2]


@pytest.fixture
def echo_service(tmp_path, redis_client, redis_url):
    service = Service(tmp_path, redis_url)
    service.env |= {"C64FT_EXTRA_KINDS": '["tests.kinds.echo"]', "PYTHONPATH": str(ROOT)}
    service.start_api()
    yield service
    service.stop()
    print(service.logs())


def test_a_registered_kind_is_taken_documented_listed_and_run(echo_service):
    service = echo_service
    document = service.http.get("/openapi.json").json()
    assert "EchoSpec" in document["components"]["schemas"]
    body = document["paths"]["/jobs"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["echo"]["value"] == {"kind": "echo", "word": "hi"}

    refused = service.http.post("/jobs", json={"kind": "echo", "word": 5})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "word"

    service.start_worker("cpu")
    job = service.submit({"kind": "echo", "word": "SID"})
    assert job["kind"] == "echo" and job["spec"]["word"] == "SID"
    done = service.wait(job["id"], timeout=60)
    assert done["status"] == "succeeded", service.logs()
    assert done["result"] == {"echo": "SID"}
    assert "echo: SID" in [e["message"] for e in service.events(job["id"])]

    listed = subprocess.run(
        [sys.executable, "-m", "c64ft", "kinds"],
        env=service.env,
        cwd=service.workspace,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[:2] for line in listed.stdout.splitlines()][-1] == ["echo", "cpu"]
