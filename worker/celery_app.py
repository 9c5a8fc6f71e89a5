"""The Celery app: named queues only, late ack, prefetch 1, a fresh pool process per job."""

import click
from celery import Celery
from kombu import Exchange, Queue

from core.config import Settings, get_settings
from core.routing import GPU_QUEUES
from worker import file_broker

QUEUES = (*GPU_QUEUES, "cpu")
TASK_NAME = "c64ft.run_job"


def _embedded_broker_options(settings: Settings) -> dict:
    """The file broker keeps its queues under data/broker/ (docs/design.md: never the job database);
    the broker makes the folders on its first connection."""
    root = settings.broker_folder
    folders = {"data_folder_in": root / "queue", "data_folder_out": root / "queue"}
    folders["control_folder"] = root / "control"  # read messages are deleted, not kept
    return {name: str(path) for name, path in folders.items()} | {"polling_interval": 0.1}


def make_celery(settings: Settings) -> Celery:
    broker = f"{file_broker.SCHEME}://" if settings.embedded_broker else settings.broker_url
    app = Celery("c64ft", broker=broker, include=["worker.tasks"])
    app.conf.update(
        task_queues=[
            Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES
        ],
        task_create_missing_queues=False,
        task_default_queue="cpu",
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # Late ack + prefetch 1: a busy worker holds no second message, so a queued job's
        # message is either in its queue or lost, which is what the reaper relies on. A
        # redelivery of a job already running returns at once (the claim is a compare-and-set).
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        # Each job runs in a fresh pool process: CUDA never sees a fork, memory never leaks
        # from one job into the next. The main process never imports torch.
        worker_max_tasks_per_child=1,
        worker_concurrency=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options=(
            _embedded_broker_options(settings) if settings.embedded_broker else {}
        ),
    )
    # The devices the worker owns, for its registration (worker.tasks.Supervisor); `c64ft
    # worker --gpus` also pins its jobs to them and adds the queues gpu … gpu.N.
    app.user_options["worker"].add(
        click.Option(["--gpus"], default="", help="GPU ids this worker owns (c64ft worker).")
    )
    return app


celery_app = make_celery(get_settings())
