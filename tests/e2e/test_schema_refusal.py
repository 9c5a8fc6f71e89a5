"""A job database of the release before migrations: the real API and worker commands refuse to
start on it with one line naming `c64ft db upgrade`, and start once it has run."""

import os
import subprocess
import sys

import httpx

from c64ft.processes import free_port
from tests.core.jobs.release_before_migrations import make_database
from tests.e2e.service import wait_until

UPGRADE = "Run `c64ft db upgrade` with the same C64FT_DATABASE_URL"


def refusal(argv: list[str], env: dict, expected_code: int) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == expected_code, output
    assert UPGRADE in output and "Traceback" not in output, output
    return output


def test_the_service_refuses_a_database_behind_until_it_is_upgraded(tmp_path):
    url = f"sqlite:///{tmp_path / 'data/c64ft.db'}"
    (tmp_path / "data").mkdir()
    make_database(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("C64FT_")}
    env |= {"C64FT_WORKSPACE": str(tmp_path), "C64FT_DATABASE_URL": url}
    c64ft = [sys.executable, "-m", "c64ft"]
    port = str(free_port())

    said = refusal([*c64ft, "serve", "--port", port], env, expected_code=2)
    assert said.strip().count("\n") == 0, "one line"
    refusal([*c64ft, "worker", "--queues", "cpu"], env, expected_code=2)
    uvicorn = [sys.executable, "-m", "uvicorn", "api.main:app", "--port", port]
    refusal(uvicorn, env, expected_code=3)  # uvicorn's own start-up failure code

    upgraded = subprocess.run([*c64ft, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded from the release before migrations (stamped 0001) to revision 0003" in (
        upgraded.stdout
    )
    api = subprocess.Popen([*c64ft, "serve", "--port", port], env=env, start_new_session=True)
    try:

        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health").status_code in (200, 503)
            except httpx.TransportError:
                return api.poll() is not None  # stop waiting: it exited

        wait_until(answers, 30, "the API to answer /health")
        assert api.poll() is None, "the API runs after the upgrade"
    finally:
        api.terminate()
        api.wait(20)
