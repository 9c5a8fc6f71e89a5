"""With `phase: both` the job's progress covers the phase still to come, so the ETA is right:
each phase's share is its planned optimizer steps, not half the job."""

from datetime import timedelta

import pytest
from transformers import TrainerControl, TrainerState

from api.schemas import JobPublic
from core.jobs.models import Job, JobStatus, utcnow
from core.kinds.train.plan import optimizer_steps
from core.kinds.train.runner import progress_spans
from core.kinds.train.spec import TrainSpec
from core.training.callbacks import JobCallback
from tests.recording import RecordingContext


def test_a_phases_share_of_progress_is_its_share_of_the_planned_steps():
    assert progress_spans([20, 80]) == [(0.0, 0.2), (0.2, 1.0)]
    assert progress_spans([30]) == [(0.0, 1.0)]
    spec = TrainSpec.model_validate({"kind": "train", "batch_size": 2, "grad_accum": 16})
    # 1,000 rows: 500 batches, 31 full accumulations and a short one, over 3 epochs
    assert optimizer_steps(spec, 1000) == 96
    assert optimizer_steps(spec.model_copy(update={"max_steps": 7}), 1000) == 7


def test_the_eta_after_a_short_dapt_counts_the_long_sft_still_to_come(tmp_path):
    dapt, sft = progress_spans([20, 80])  # DAPT 20 optimizer steps, then SFT 80
    ctx = RecordingContext(tmp_path)
    callback = JobCallback(ctx, "dapt", dapt)
    callback.on_step_end(None, TrainerState(global_step=20, max_steps=20), TrainerControl())
    assert ctx.fractions == [pytest.approx(0.2)]  # DAPT done: a fifth of the job, not half

    # DAPT's 20 steps took 100 s: SFT's 80 take 400 s more (equal halves said 100 s)
    job = Job(
        id="job_eta",
        kind="train",
        queue="gpu",
        spec={},
        status=JobStatus.running,
        started_at=utcnow() - timedelta(seconds=100),
        progress_fraction=ctx.fractions[-1],
    )
    assert JobPublic.from_job(job).progress.eta_s == pytest.approx(400, abs=2)

    ctx = RecordingContext(tmp_path)
    callback = JobCallback(ctx, "sft", sft)
    callback.on_step_end(None, TrainerState(global_step=40, max_steps=80), TrainerControl())
    assert ctx.fractions == [pytest.approx(0.6)]  # half of SFT: 60 of the 100 steps
