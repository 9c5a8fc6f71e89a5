"""`c64ft worker --gpus` and `c64ft up --gpus`: a bad or shared GPU id is refused before any
process starts, with the reason; `up` runs one gpu worker per set."""

import sys

from typer.testing import CliRunner

from c64ft.cli import _gpu_workers, app

runner = CliRunner()


def test_bad_gpu_ids_are_refused_with_the_reason():
    for args, reason in [
        (["worker", "--gpus", "0,0"], "a GPU id given twice"),
        (["worker", "--gpus", ","], "no GPU id given"),
        (["up", "--gpus", "0,1", "--gpus", "1"], "GPU 1 given twice"),
    ]:
        done = runner.invoke(app, args)
        assert done.exit_code == 2, done.output
        assert reason in done.output and "Traceback" not in done.output


def test_up_runs_a_gpu_worker_per_set_or_one_owning_no_set():
    me = [sys.executable, "-m", "c64ft"]
    worker = [*me, "worker", "--queues", "gpu"]
    assert _gpu_workers(me, []) == {"worker-gpu": worker}
    assert _gpu_workers(me, ["0", "1,2"]) == {
        "worker-gpu0": [*worker, "--gpus", "0"],
        "worker-gpu1-2": [*worker, "--gpus", "1,2"],
    }
