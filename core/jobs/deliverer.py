"""The webhook deliverer: a process that each worker starts beside itself
(`python -m core.jobs.deliverer <worker pid>`), which posts due deliveries from the outbox
(`core.jobs.outbox`) a few at a time on threads of its own, so that a receiver that never
answers delays neither a job nor the other receivers.

A process, not a thread of the worker: the worker forks a pool process for every job, and a
fork taken while another thread is inside SQLite or a socket call can leave the child a lock
that nobody will ever release (a pool process that hangs before it claims its job).
"""

import logging
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
from standardwebhooks.webhooks import Webhook

from core.config import get_settings
from core.jobs import outbox
from core.jobs.db import init_db
from core.jobs.models import WebhookDelivery
from core.webhooks import sending

log = logging.getLogger("c64ft.webhooks")
CONCURRENCY = 4  # tries in flight per worker


class Deliverer:
    def __init__(self) -> None:
        settings = get_settings()
        assert settings.webhook_secret is not None, "no deliverer without C64FT_WEBHOOK_SECRET"
        self.signer = Webhook(settings.webhook_secret.get_secret_value())
        self.timeout_s, self.poll_s = settings.webhook_timeout_s, settings.webhook_poll_s
        # a try lasts at most about connect + write + read timeouts: past that, it was lost
        self.lease_s = 3 * self.timeout_s + 10
        self.pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="webhook")
        self.in_flight: set[Future] = set()

    def run(self, alive: Callable[[], bool]) -> None:
        """Send what is due every `poll_s` while `alive()`."""
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client:
            while alive():
                time.sleep(self.poll_s)
                try:
                    self.send_due(client)
                except Exception:  # a busy database: the next pass tries again
                    log.exception("webhook pass failed")
            self.pool.shutdown(wait=False, cancel_futures=True)

    def send_due(self, client: httpx.Client) -> None:
        self.in_flight = {future for future in self.in_flight if not future.done()}
        room = CONCURRENCY - len(self.in_flight)
        if room > 0:
            for delivery in outbox.claim_due(room, self.lease_s):
                self.in_flight.add(self.pool.submit(self.send, client, delivery))

    def send(self, client: httpx.Client, delivery: WebhookDelivery) -> None:
        try:
            outcome = sending.post(client, self.signer, delivery.id, delivery.url, delivery.payload)
            status = outbox.record_attempt(delivery, outcome)
        except Exception:
            log.exception("webhook %s to %s failed", delivery.id, delivery.url)
            return
        log.info("webhook %s %s to %s: %s", delivery.event, delivery.id, delivery.url, status)


def main(worker_pid: int) -> None:
    """Deliver until the worker that started us is gone (a tried delivery in flight then is
    abandoned, and claimed again by a worker when its lease ends)."""
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s: %(levelname)s/webhooks] %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per try is ours
    init_db()
    Deliverer().run(lambda: os.getppid() == worker_pid)


if __name__ == "__main__":
    main(int(sys.argv[1]))
