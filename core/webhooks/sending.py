"""One try of one delivery: the body signed the Standard Webhooks way (HMAC-SHA256 over id,
timestamp and body, by the `standardwebhooks` library) and POSTed, redirects not followed (a
redirect could lead past the host allow-list)."""

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Outcome:
    started_at: datetime
    duration_s: float
    status_code: int | None  # None: no answer (refused, timed out, …)
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def signed_headers(signer: Webhook, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signer.sign(message_id, at, body),
        "content-type": "application/json",
    }


def post(
    client: httpx.Client, signer: Webhook, message_id: str, url: str, payload: dict[str, Any]
) -> Outcome:
    """POST `payload` to `url`, signed; a 2xx answer is a delivery, anything else a failed try."""
    body = json.dumps(payload, separators=(",", ":"))
    started_at, clock = datetime.now(UTC), time.monotonic()
    headers = signed_headers(signer, message_id, body, started_at)
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        failure = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        return Outcome(started_at, time.monotonic() - clock, None, failure)
    error = None if response.is_success else f"HTTP {response.status_code}"
    return Outcome(started_at, time.monotonic() - clock, response.status_code, error)
