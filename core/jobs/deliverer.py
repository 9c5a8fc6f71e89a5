"""The webhook deliverer: a thread of the worker's main process that posts due deliveries from
the outbox (`core.jobs.outbox`), a few at a time on threads of its own, so that a receiver that
never answers delays neither a job nor the other receivers."""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
from standardwebhooks.webhooks import Webhook

from core.config import get_settings
from core.jobs import outbox
from core.jobs.models import WebhookDelivery
from core.webhooks import sending

log = logging.getLogger(__name__)
CONCURRENCY = 4  # tries in flight per worker


class Deliverer(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="webhook-deliverer", daemon=True)
        self.stopped = threading.Event()
        self.pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="webhook")
        self.in_flight: set[Future] = set()
        settings = get_settings()
        assert settings.webhook_secret is not None, "no deliverer without C64FT_WEBHOOK_SECRET"
        self.signer = Webhook(settings.webhook_secret.get_secret_value())
        self.timeout_s, self.poll_s = settings.webhook_timeout_s, settings.webhook_poll_s
        # a try lasts at most about connect + write + read timeouts: past that, it was lost
        self.lease_s = 3 * self.timeout_s + 10

    def run(self) -> None:
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client:
            while not self.stopped.wait(self.poll_s):
                try:
                    self.send_due(client)
                except Exception:  # a busy database: the next pass tries again
                    log.exception("webhook pass failed")
            self.pool.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        """Stop claiming; a try in flight is abandoned, and claimed again when its lease ends."""
        self.stopped.set()

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
