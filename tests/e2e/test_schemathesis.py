"""schemathesis, every check, against a real uvicorn: no 5xx and no answer outside the schema.

The API runs on a throwaway workspace with a token and no worker: the jobs it accepts stay
queued, and every path a spec names is inside that workspace (the validators see to it).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.service import Service

CONFIG = Path(__file__).with_name("schemathesis.toml")
TOKEN = "schemathesis-token"
ACCESS_LOG = re.compile(r'"[A-Z]+ \S+ HTTP/1\.1" (\d{3})')


@pytest.mark.timeout(600)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(tmp_path):
    service = Service(tmp_path / "workspace")
    service.workspace.mkdir()
    service.env["C64FT_API_TOKEN"] = TOKEN
    # Its stateful phase opens the streams of the jobs it submitted, which no worker runs: each
    # would stay open for good, so they close after a second here (a client reconnects).
    service.env["C64FT_STREAM_MAX_S"] = "1"
    service.start_api()
    report = tmp_path / "report.json"
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(CONFIG),
                "run",
                f"{service.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {TOKEN}",
                "--checks",
                "all",
                "--max-examples",
                "100",
                "--seed",
                "12",
                # One worker: hypothesis describes lambdas with ast.parse, which CPython 3.11
                # can break when two threads parse at once ("AST constructor recursion depth
                # mismatch"), failing the run with a Runtime Error that is not the API's.
                "--workers",
                "1",
                "--report",
                "json",
                "--report-json-path",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=480,
            cwd=tmp_path,
        )
    finally:
        service.stop()
    log = (service.workspace / "api.log").read_text(errors="replace")
    statuses = [int(status) for status in ACCESS_LOG.findall(log)]
    summary = json.loads(report.read_text())
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert summary["failures"] == [] and summary["errors"] == [], summary
    assert len(statuses) >= 1000, f"only {len(statuses)} requests"
    assert not [status for status in statuses if status >= 500]
    assert "Traceback" not in log
    # Submitting writes only the job database and the embedded broker's queue files.
    assert {p.name for p in service.workspace.iterdir()} == {"api.log", "data"}
    assert {p.name for p in (service.workspace / "data").iterdir()} <= {
        "c64ft.db",
        "c64ft.db-wal",
        "c64ft.db-shm",
        "c64ft.db.writelock",
        "broker",
    }
    print(f"{len(statuses)} requests, {summary['test_cases']['generated']} test cases")
