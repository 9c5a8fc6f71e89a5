"""Prometheus metrics read from the job database and the broker at each scrape.

Every number is the store's truth, not a count kept in one process's memory: under uvicorn
with several workers any process answers a scrape with the same numbers, and no
PROMETHEUS_MULTIPROC_DIR is needed (docs/design.md, "Monitoring").
"""

from collections.abc import Iterator

from prometheus_client.core import (
    CollectorRegistry,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from core.jobs import stats
from core.jobs.models import JobStatus
from core.jobs.workers import live_workers
from core.kinds import KINDS
from worker.dispatch import queue_depths

PREFIX = "c64ft"
# Upper bounds of the job duration buckets: a GPU smoke takes seconds, a training run hours.
DURATION_BOUNDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400]
TRAIN_HELP = {
    "loss": "Latest training loss of a running train job.",
    "eval_loss": "Latest evaluation loss of a running train job.",
    "tokens_per_second": "Latest training throughput of a running train job (tokens/s).",
    "step": "Latest logged optimizer step of a running train job.",
}


class JobStoreCollector(Collector):
    """Reads the metrics at scrape time: SQL aggregates over the job store, the queues' depth."""

    def collect(self) -> Iterator[Metric]:
        yield from _jobs()
        yield _durations()
        yield _queue_depth()
        workers = GaugeMetricFamily(f"{PREFIX}_workers_live", "Workers heard from recently.")
        workers.add_metric([], live_workers())
        yield workers
        yield from _train()


def _jobs() -> Iterator[Metric]:
    counts = stats.jobs_by_status_and_kind()
    # Every known kind and status, zeros too: a series that goes to 0 is not one that vanishes.
    kinds = sorted({*KINDS, *(kind for _, kind in counts)})
    jobs = GaugeMetricFamily(
        f"{PREFIX}_jobs", "Jobs in the database, by status and kind.", labels=["status", "kind"]
    )
    created = CounterMetricFamily(
        f"{PREFIX}_jobs_created", "Jobs ever submitted, by kind.", labels=["kind"]
    )
    for kind in kinds:
        for status in JobStatus:
            jobs.add_metric([status.value, kind], counts.get((status.value, kind), 0))
        created.add_metric([kind], sum(n for (_, k), n in counts.items() if k == kind))
    yield jobs
    yield created


def _durations() -> Metric:
    histogram = HistogramMetricFamily(
        f"{PREFIX}_job_duration_seconds",
        "How long finished jobs ran (finished_at - started_at), by kind.",
        labels=["kind"],
    )
    for kind, durations in sorted(stats.durations_by_kind(DURATION_BOUNDS).items()):
        buckets = [(floatToGoString(bound), count) for bound, count in durations.buckets]
        histogram.add_metric([kind], [*buckets, ("+Inf", durations.count)], sum_value=durations.sum)
    return histogram


def _queue_depth() -> Metric:
    depth = GaugeMetricFamily(
        f"{PREFIX}_queue_depth", "Messages waiting in a broker queue.", labels=["queue"]
    )
    for queue, count in queue_depths().items():
        if count is not None:  # the broker did not answer: no sample rather than a false 0
            depth.add_metric([queue], count)
    return depth


def _train() -> Iterator[Metric]:
    latest = stats.latest_train_metrics()
    for name, help_text in TRAIN_HELP.items():
        family = GaugeMetricFamily(f"{PREFIX}_train_{name}", help_text, labels=["job_id", "phase"])
        for (job_id, phase), values in sorted(latest.items()):
            if name in values:
                family.add_metric([job_id, phase], values[name])
        yield family


def make_registry() -> CollectorRegistry:
    """A registry of this collector alone: the default one's process metrics would differ from
    one uvicorn process to the next, and describe no job."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobStoreCollector())
    return registry
