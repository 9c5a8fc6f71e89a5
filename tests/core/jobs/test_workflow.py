"""Workflows on the real job store: steps in order, stop at a failure, cancel, crash recovery.

Children really run through `execute_job` where that is cheap (gpu_smoke on the CPU); other
outcomes are set through the store's lifecycle, as a worker would record them.
"""

import threading

import pytest
from pydantic import ValidationError

from core.jobs import execution, journal, recovery, store, workflow
from core.jobs.models import JobStatus as S
from core.kinds import WorkflowSpec

SMOKE = {"allow_cpu": True, "matrix_size": 64}


class Sent:
    def __init__(self):
        self.jobs = []

    def __call__(self, job):
        self.jobs.append(job)


def start(**fields):
    spec = WorkflowSpec.model_validate({"kind": "workflow", "gpu_smoke": SMOKE, **fields})
    job = store.create_job(spec=spec)
    sent = Sent()
    workflow.advance(job.id, sent)
    return job.id, sent


def children(workflow_id):
    jobs = store.list_jobs(limit=100)[0]
    kids = [j for j in jobs if j.parent_id == workflow_id]
    return sorted(kids, key=lambda j: j.created_at)


def finish(job, status, **fields):
    store.transition(job.id, S.running, attempt=1)
    store.transition(job.id, status, **fields)


def test_sections_default_and_link_the_steps():
    spec = WorkflowSpec.model_validate(
        {
            "kind": "workflow",
            "train": {"model_path": "models/tiny", "phase": "sft"},
            "build_datasets": {"output_dir": "data/demo"},
        }
    )
    assert spec.steps == ["gpu_smoke", "build_datasets", "train", "export", "validate_reasoning"]
    assert spec.build_datasets.model_path == "models/tiny"  # the tokenizer of the trained model
    assert (spec.train.dapt_dir, spec.train.sft_dir) == ("data/demo/dapt", "data/demo/sft")
    assert spec.export.model_path == "models/fine-tuned-merged-hf"
    assert spec.export.target_dir() == "models/fine-tuned-gguf"
    assert spec.validate_reasoning.gguf_dir == "models/fine-tuned-gguf"
    assert spec.validate_reasoning.quants == ["Q8_0", "F16"]
    assert WorkflowSpec.model_validate(spec.resolved() | {"kind": "workflow"}) == spec

    no_lora = WorkflowSpec.model_validate({"kind": "workflow", "train": {"use_lora": False}})
    assert no_lora.export.model_path == "models/fine-tuned"
    assert no_lora.validate_reasoning.gguf_dir == "models/fine-tuned-gguf"
    own = WorkflowSpec.model_validate(
        {"kind": "workflow", "export": {"model_path": "models/mine", "quants": ["Q4_K_M"]}}
    )
    assert own.validate_reasoning.gguf_dir == "models/mine-gguf"
    assert own.validate_reasoning.quants == ["Q4_K_M"]  # the defaults it exports, else its first
    hf = WorkflowSpec.model_validate(
        {"kind": "workflow", "validate_reasoning": {"runtime": "transformers"}}
    )
    assert (hf.validate_reasoning.model_path, hf.validate_reasoning.gguf_dir) == (
        "models/fine-tuned-merged-hf",
        None,
    )


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"steps": ["train"], "gpu_smoke": {}}, "gpu_smoke given but not in steps"),
        ({"steps": ["train", "train"]}, "steps must be distinct"),
        ({"steps": []}, "at least 1 item"),
        ({"train": {"kind": "gpu_smoke"}}, "Input should be 'train'"),
        ({"train": {"max_steps": "10"}}, "Input should be a valid integer"),
        ({"validate_reasoning": {"colour": 1}}, "Extra inputs are not permitted"),
        (
            {"export": {"quants": ["F16"]}, "validate_reasoning": {"quants": ["Q8_0"]}},
            "quants Q8_0 not written by the export step",
        ),
    ],
)
def test_bad_workflows_are_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        WorkflowSpec.model_validate({"kind": "workflow", **fields})


def test_steps_run_in_order_one_child_at_a_time():
    workflow_id, sent = start(steps=["gpu_smoke", "build_datasets"], metadata={"run": "a"})
    first = children(workflow_id)
    assert [(c.kind, c.status) for c in first] == [("gpu_smoke", S.queued)]
    assert [j.id for j in sent.jobs] == [first[0].id] and first[0].job_metadata == {"run": "a"}
    parent = store.get_job(workflow_id)
    assert parent.status == S.running and parent.stage == "gpu_smoke"
    assert parent.progress_fraction == 0 and parent.progress_total_steps == 2

    workflow.advance(workflow_id, sent)  # nothing new: the step is still queued
    assert len(children(workflow_id)) == 1 and len(sent.jobs) == 1

    assert execution.execute_job(first[0].id, worker="test") == S.succeeded
    assert store.get_job(workflow_id).progress_fraction == pytest.approx(0.5)  # mirrored
    workflow.advance(workflow_id, sent)
    kinds = [(c.kind, c.status) for c in children(workflow_id)]
    assert kinds == [("gpu_smoke", S.succeeded), ("build_datasets", S.queued)]
    assert store.get_job(workflow_id).result["steps"][1]["status"] == "queued"

    second = children(workflow_id)[1]
    finish(second, S.succeeded, result={"ok": True})
    workflow.advance(workflow_id, sent)
    done = store.get_job(workflow_id)
    assert done.status == S.succeeded and done.progress_fraction == 1.0
    assert [s["status"] for s in done.result["steps"]] == ["succeeded", "succeeded"]
    assert done.result["reports"] == {"datasets": "data/processed/validation_report.md"}


def test_a_failed_step_stops_the_workflow_and_cancels_the_rest_with_a_reason():
    workflow_id, sent = start()
    smoke = children(workflow_id)[0]
    error = {
        "type": "no_gpu",
        "message": "no GPU",
        "hint": "check /dev/kfd",
        "param": None,
        "stage": "inspect",
    }
    finish(smoke, S.failed, error=error)
    workflow.advance(workflow_id, sent)

    failed = store.get_job(workflow_id)
    assert failed.status == S.failed
    assert failed.error["type"] == "no_gpu" and failed.error["stage"] == "gpu_smoke"
    assert failed.error["message"].startswith(f"step gpu_smoke ({smoke.id}): no GPU")
    assert failed.error["hint"] == "check /dev/kfd"
    rest = children(workflow_id)[1:]
    assert [c.kind for c in rest] == ["build_datasets", "train", "export", "validate_reasoning"]
    for child in rest:
        assert child.status == S.cancelled and child.error["type"] == "workflow_stopped"
        assert child.error["message"] == f"not run: step gpu_smoke ({smoke.id}) failed"
    assert len(sent.jobs) == 1  # nothing after the failure was sent
    workflow.advance(workflow_id, sent)  # a late call changes nothing
    assert len(children(workflow_id)) == 5


def test_cancelling_the_workflow_cancels_the_running_step_then_the_rest():
    workflow_id, sent = start(steps=["gpu_smoke", "train"])
    smoke = children(workflow_id)[0]
    store.transition(smoke.id, S.running, attempt=1)
    store.request_cancel(workflow_id)
    workflow.advance(workflow_id, sent)
    assert store.get_job(smoke.id).status == S.cancelling  # the runner stops at its next step
    assert store.get_job(workflow_id).status == S.cancelling

    store.transition(smoke.id, S.cancelled)  # what the worker records when the runner stops
    workflow.advance(workflow_id, sent)
    assert store.get_job(workflow_id).status == S.cancelled
    train = children(workflow_id)[1]
    assert train.status == S.cancelled
    assert train.error["message"] == "not run: the workflow was cancelled"


def test_a_queued_step_is_cancelled_at_once():
    workflow_id, sent = start(steps=["gpu_smoke"])
    store.request_cancel(workflow_id)
    workflow.advance(workflow_id, sent)
    assert store.get_job(children(workflow_id)[0].id).status == S.cancelled
    assert store.get_job(workflow_id).status == S.cancelled


def test_concurrent_advances_start_a_step_once():
    job = store.create_job(spec=WorkflowSpec.model_validate({"kind": "workflow"}))
    sent = Sent()
    threads = [threading.Thread(target=workflow.advance, args=(job.id, sent)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(children(job.id)) == 1 and len(sent.jobs) == 1


def test_the_reaper_advances_a_workflow_whose_step_ended_without_advancing_it():
    workflow_id, sent = start(steps=["gpu_smoke", "build_datasets"])
    smoke = children(workflow_id)[0]
    assert execution.execute_job(smoke.id, worker="test") == S.succeeded  # then the worker died
    resent = Sent()
    recovery.reap(send=resent, queue_depth=lambda queue: 1)
    mine = [j for j in resent.jobs if j.parent_id == workflow_id]  # others may be open too
    assert [j.kind for j in mine] == ["build_datasets"]
    assert store.get_job(workflow_id).status == S.running
    assert "step 2/2 build_datasets" in journal.list_events(workflow_id)[0][-1].message
