"""A small HTTP client of the c64ft API for `submit`, `status` and `--wait`."""

import sys
import time
from typing import Any

import httpx

from core.config import get_settings

TERMINAL = {"succeeded", "failed", "cancelled"}


class ApiError(Exception):
    """The API refused a request; the message is its `detail`, made readable."""


def make_client(api: str) -> httpx.Client:
    token = get_settings().api_token
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
    return httpx.Client(base_url=api, headers=headers, timeout=30)


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
    return _checked(client.post("/jobs", json=spec, params={"dry_run": dry_run}))


def read_job(client: httpx.Client, job_id: str) -> dict:
    return _checked(client.get(f"/jobs/{job_id}"))


def wait(client: httpx.Client, job_id: str, *, poll_s: float = 1.0) -> dict:
    """Follow a job until it finishes, printing its events as they come; returns the job."""
    after = 0
    while True:
        job = read_job(client, job_id)
        events = _checked(client.get(f"/jobs/{job_id}/events", params={"after": after}))
        for event in events["data"]:
            after = event["id"]
            print(
                f"[{event['level']}] {event['stage'] or '-'}: {event['message']}", file=sys.stderr
            )
        if job["status"] in TERMINAL and not events["has_more"]:
            return job
        time.sleep(poll_s)
