"""The worker registry's device check: two live workers of one node never own the same GPU,
on SQLite and on Postgres, however many workers start at once."""

import threading
from datetime import timedelta

import pytest

from core.jobs.db import write_session
from core.jobs.models import Worker, utcnow
from core.jobs.workers import DeviceConflict, live_gpus, live_worker_rows, register_worker
from core.routing import parse_devices, worker_gpu_queues
from tests.backends import empty_database


@pytest.fixture
def registry(backend, tmp_path):
    """An empty job database on the module's backend (tests/backends.py)."""
    with empty_database(backend, tmp_path):
        yield backend


def owners() -> dict[str, tuple[str, list[str]]]:
    return {
        w.hostname: (w.node, w.devices.split(",") if w.devices else [])
        for w, _job in live_worker_rows()
    }


def test_a_worker_registers_its_node_and_devices(registry):
    register_worker("gpu.1@box", ["gpu", "gpu.2"], node="box", devices=["0", "1"])
    register_worker("cpu.2@box", ["cpu"], node="box")
    assert owners() == {"gpu.1@box": ("box", ["0", "1"]), "cpu.2@box": ("box", [])}


def test_a_worker_records_its_gpus_and_the_dry_run_reads_those_of_a_queue(registry):
    l4 = {"id": "0", "name": "NVIDIA L4", "memory_bytes": 24_152_899_584}
    h100 = {"id": "1", "name": "NVIDIA H100 80GB HBM3", "memory_bytes": 85_520_809_984}
    register_worker("small@box", ["gpu"], node="box", devices=["0"], gpus=[l4])
    register_worker("big@box", ["gpu", "gpu.2"], node="box", devices=["1", "2"], gpus=[h100])
    register_worker("cpu@box", ["cpu"], node="box")
    assert sorted(live_gpus("gpu"), key=lambda g: g[0]) == [("big@box", h100), ("small@box", l4)]
    assert live_gpus("gpu.2") == [("big@box", h100)]
    assert live_gpus("cpu") == []  # its gpus are None: unknown, not listed
    with write_session() as session:  # a worker that died reports nothing
        session.get(Worker, "big@box").heartbeat_at = utcnow() - timedelta(hours=1)
    assert live_gpus("gpu.2") == []
    [(row, _job)] = [(w, j) for w, j in live_worker_rows() if w.hostname == "small@box"]
    assert row.gpus == [l4]


def test_a_device_of_a_live_worker_of_the_node_is_refused(registry):
    register_worker("a@box", ["gpu", "gpu.2"], node="box", devices=["0", "1"])
    with pytest.raises(DeviceConflict, match=r"GPU 1 of node 'box' belongs to .*'a@box'"):
        register_worker("b@box", ["gpu"], node="box", devices=["1"])
    assert set(owners()) == {"a@box"}  # the refused worker left no row


def test_other_devices_another_node_a_dead_owner_or_a_restart_are_fine(registry):
    register_worker("a@box", ["gpu"], node="box", devices=["0"])
    register_worker("b@box", ["gpu"], node="box", devices=["1"])  # another device
    register_worker("a@other", ["gpu"], node="other", devices=["0"])  # another machine
    register_worker("a@box", ["gpu"], node="box", devices=["0"])  # the same worker, restarted
    with write_session() as session:  # b died: its heartbeat is older than the timeout
        session.get(Worker, "b@box").heartbeat_at = utcnow() - timedelta(hours=1)
    register_worker("c@box", ["gpu"], node="box", devices=["1"])
    assert owners() == {
        "a@box": ("box", ["0"]),
        "a@other": ("other", ["0"]),
        "c@box": ("box", ["1"]),
    }


def test_workers_starting_together_never_share_a_device(registry):
    """Eight registrations at once, each claiming GPU 0 with one of its own: exactly one wins."""
    start, outcomes = threading.Barrier(8), []

    def claim(n: int) -> None:
        start.wait()
        try:
            register_worker(f"w{n}@box", ["gpu"], node="box", devices=["0", f"{n + 1}"])
            outcomes.append("registered")
        except DeviceConflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["registered"]
    [(node, devices)] = owners().values()
    assert node == "box" and devices[0] == "0"


def test_gpu_ids_and_the_queues_they_bring():
    assert parse_devices("0, 1,2") == ["0", "1", "2"]
    assert parse_devices("GPU-5f2c7a1e-0000") == ["GPU-5f2c7a1e-0000"]
    for bad, reason in [("", "no GPU id"), ("0,0", "twice"), ("0;1", "not a GPU id")]:
        with pytest.raises(ValueError, match=reason):
            parse_devices(bad)
    assert worker_gpu_queues(0) == []
    assert worker_gpu_queues(1) == ["gpu"]
    assert worker_gpu_queues(4) == ["gpu", "gpu.2", "gpu.3", "gpu.4"]
    assert worker_gpu_queues(16)[-1] == "gpu.8"  # no job asks for more than MAX_GPUS
