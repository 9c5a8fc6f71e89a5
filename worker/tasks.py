"""The one task, `run_job`, and the bootstep that registers the worker, runs the reaper and
sends the webhooks."""

import logging
import os
import socket
import subprocess
import sys

from celery import bootsteps

from core.config import get_settings
from core.gpus import owned_gpus
from core.jobs import recovery, service
from core.jobs.db import init_db
from core.jobs.execution import execute_job
from core.jobs.schema import SchemaNotCurrent
from core.jobs.workers import DeviceConflict, register_worker, touch_worker, unregister_worker
from core.routing import GPU_QUEUES, parse_devices
from worker.celery_app import TASK_NAME, celery_app
from worker.dispatch import queue_depth, resend_job, send_job

log = logging.getLogger(__name__)
POOL_CHECK_INTERVAL_S = 0.2
EX_DEVICE_CONFLICT = 3  # the exit status of a worker refused for a device another one owns


@celery_app.task(name=TASK_NAME, bind=True)
def run_job(self, job_id: str) -> str | None:
    """Claim and run one job; everything it does lands in the database, not in Celery."""
    init_db()
    worker = f"{self.request.hostname} pid {os.getpid()}"
    status = execute_job(job_id, worker=worker, send=resend_job)
    service.step_finished(job_id, send=send_job)
    return status and str(status)


def _require_current_schema() -> None:
    """A worker started by `celery worker` directly (`c64ft worker` checks before Celery starts):
    a database behind the code stops it with one line and exit code 2, not a traceback."""
    try:
        init_db()
    except SchemaNotCurrent as exc:
        log.error("%s", exc)
        raise SystemExit(2) from exc  # Celery's WorkController stops with this exit code


class Supervisor(bootsteps.StartStopStep):
    """In the worker's main process: keep this worker's row alive, reap lost jobs, replace
    a finished pool process at once, and send the webhooks (when C64FT_WEBHOOK_SECRET is set).

    It runs on the worker's own timer, so it goes on while a job runs in a pool process; the
    webhooks go out from a process of their own (`core.jobs.deliverer` says why).
    """

    requires = {"celery.worker.components:Pool", "celery.worker.components:Timer"}

    def __init__(self, worker, gpus: str = "", **kwargs):
        super().__init__(worker, **kwargs)
        self.devices = parse_devices(gpus) if gpus else []
        self.timers: list = []
        self.deliverer: subprocess.Popen | None = None
        self.registered = False

    def start(self, worker):
        settings = get_settings()
        _require_current_schema()
        self.register(worker)
        self.reap()  # at start: a job this machine was running before a crash is retried now
        self.timers = [
            worker.timer.call_repeatedly(
                settings.heartbeat_interval_s, touch_worker, (worker.hostname,)
            ),
            worker.timer.call_repeatedly(settings.reaper_interval_s, self.reap),
            # With one job per pool process, Celery may notice the old process's exit only on
            # its own 5 s timer (celery/celery#9588), and the next job waits that long.
            worker.timer.call_repeatedly(POOL_CHECK_INTERVAL_S, worker.pool.maintain_pool),
        ]
        if settings.webhook_secret is not None:
            argv = [sys.executable, "-m", "core.jobs.deliverer", str(os.getpid())]
            self.deliverer = subprocess.Popen(argv)

    def register(self, worker) -> None:
        """This worker's row, with its node and devices; a device another live worker of the
        node owns stops the worker here, with the reason and no traceback."""
        settings = get_settings()
        queues = sorted(q.name for q in worker.app.amqp.queues.consume_from.values())
        node = settings.node_name or socket.gethostname()
        gpus = None  # a cpu worker's GPUs matter to no job
        if any(q in GPU_QUEUES for q in queues):
            gpus = owned_gpus(self.devices, settings.gpu_inventory)
            log.info("worker %s GPUs: %s", worker.hostname, gpus or "none found")
        try:
            register_worker(worker.hostname, queues, node=node, devices=self.devices, gpus=gpus)
        except DeviceConflict as refusal:
            log.error("worker %s refused to start: %s", worker.hostname, refusal)
            raise SystemExit(EX_DEVICE_CONFLICT) from None  # Celery stops with this status
        self.registered = True

    def stop(self, worker):
        for timer in self.timers:
            timer.cancel()
        if self.deliverer is not None:
            self.deliverer.terminate()  # a try in flight is claimed again when its lease ends
            self.deliverer.wait(10)
        if self.registered:
            unregister_worker(worker.hostname)

    @staticmethod
    def reap():
        try:
            report = recovery.reap(send=resend_job, queue_depth=queue_depth)
        except Exception:  # the next pass tries again; a reaper crash must not stop the worker
            log.exception("reaper pass failed")
            return
        if any(vars(report).values()):
            log.info("reaper: %s", report)


celery_app.steps["worker"].add(Supervisor)
