"""execute_job in this process, on the real job store: claim, outcome, cancel, errors."""

import threading
import time

from core.errors import JobFailure
from core.jobs import execution, journal, store
from core.jobs.models import JobStatus as S
from core.kinds.gpu_smoke.spec import GpuSmokeSpec


def submit(**fields):
    return store.create_job(spec=GpuSmokeSpec(kind="gpu_smoke", **fields))


def stages(job_id):
    return [e.stage for e in journal.list_events(job_id, limit=1000)[0]]


def test_a_job_runs_once_and_records_its_result():
    job = submit(allow_cpu=True, matrix_size=64)
    assert execution.execute_job(job.id, worker="test") == S.succeeded
    done = store.get_job(job.id)
    assert done.result["device"] == "cpu" and done.attempt == 1 and done.progress_fraction == 1
    assert stages(job.id) == [
        "queue",
        "claim",
        "inspect",
        "inspect",
        "matmul_check",
        "matmul_check",
        "finish",
    ]
    # a second delivery of the same message does nothing
    assert execution.execute_job(job.id, worker="test") is None
    assert store.get_job(job.id).attempt == 1


def test_a_failure_carries_type_hint_and_stage():
    job = submit(matrix_size=64)
    assert execution.execute_job(job.id, worker="test") == S.failed
    error = store.get_job(job.id).error
    assert error["type"] == "no_gpu" and error["stage"] == "inspect" and "/dev/kfd" in error["hint"]


def test_an_unexpected_error_keeps_the_traceback_out_of_the_message(monkeypatch):
    def explode(spec, ctx):
        ctx.set_stage("boom", "about to fail")
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(execution, "run_spec", explode)
    job = submit()
    assert execution.execute_job(job.id, worker="test") == S.failed
    error = store.get_job(job.id).error
    assert error["type"] == "internal_error" and error["stage"] == "boom"
    assert "Traceback" not in error["message"] and "ZeroDivisionError" in error["message"]
    events, _ = journal.list_events(job.id)
    assert any("Traceback" in (e.data or {}).get("traceback", "") for e in events)


def cancel_when_running(job_id):
    def cancel():
        while store.get_job(job_id).status != S.running:
            time.sleep(0.05)
        time.sleep(0.3)
        store.request_cancel(job_id)

    threading.Thread(target=cancel, daemon=True).start()


def test_cancel_stops_a_running_job_at_its_next_step():
    job = submit(allow_cpu=True, matrix_size=64, burn_in_s=60)
    cancel_when_running(job.id)
    started = time.monotonic()
    assert execution.execute_job(job.id, worker="test") == S.cancelled
    assert time.monotonic() - started < 10


def run_a_minute_unless_interrupted():
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
    raise AssertionError("was not interrupted")


def test_a_runner_that_ignores_the_cancel_flag_is_interrupted(monkeypatch):
    def stubborn(spec, ctx):
        ctx.set_stage("stubborn", "never polls the flag")
        run_a_minute_unless_interrupted()

    monkeypatch.setattr(execution, "run_spec", stubborn)
    job = submit()
    cancel_when_running(job.id)
    started = time.monotonic()
    assert execution.execute_job(job.id, worker="test") == S.cancelled
    assert time.monotonic() - started < 15
    assert any("ignored the cancel flag" in e.message for e in journal.list_events(job.id)[0])


def test_job_failure_as_error_names_param_and_stage():
    failure = JobFailure("bad", "msg", hint="do x", param="model_path")
    assert failure.as_error(stage="s") == {
        "type": "bad",
        "message": "msg",
        "hint": "do x",
        "param": "model_path",
        "stage": "s",
    }


def test_a_spec_this_workers_settings_refuse_fails_naming_the_field(settings_env, tmp_path):
    from core.kinds.build_datasets.spec import BuildDatasetsSpec

    shared = tmp_path / "shared"
    (shared / "manuals").mkdir(parents=True)
    settings_env(input_roots=f'["{shared}"]')  # the API's settings
    job = store.create_job(
        spec=BuildDatasetsSpec(kind="build_datasets", source_dir=str(shared / "manuals"))
    )
    settings_env(input_roots="[]")  # a worker started without C64FT_INPUT_ROOTS
    assert execution.execute_job(job.id, worker="test") == S.failed
    error = store.get_job(job.id).error
    assert error["type"] == "spec_refused_by_worker" and error["param"] == "source_dir"
    assert "C64FT_INPUT_ROOTS" in error["hint"] and "Traceback" not in error["message"]


def take_over_when_running(job_id):
    """What another host does to a job whose worker went silent: its reaper queues it again
    and a second worker claims it, while the first still runs it."""

    def take_over():
        while store.get_job(job_id).status != S.running:
            time.sleep(0.05)
        store.transition(job_id, S.queued, only_from={S.running}, worker=None)
        store.claim(job_id, worker="second")

    threading.Thread(target=take_over, daemon=True).start()


def test_a_worker_whose_job_was_taken_over_stops_and_records_nothing(monkeypatch):
    monkeypatch.setattr(execution, "run_spec", lambda spec, ctx: run_a_minute_unless_interrupted())
    job = submit()
    take_over_when_running(job.id)
    started = time.monotonic()
    assert execution.execute_job(job.id, worker="first") is None
    assert time.monotonic() - started < 10  # stopped at its next heartbeat
    now = store.get_job(job.id)
    assert (now.status, now.worker, now.attempt) == (S.running, "second", 2)


def test_a_late_outcome_of_a_taken_over_job_is_not_recorded(monkeypatch):
    def finish_after_the_takeover(spec, ctx):
        while store.get_job(ctx.job_id).worker != "second":
            time.sleep(0.01)
        return {"from": "first"}  # before the first worker's next heartbeat

    monkeypatch.setattr(execution, "run_spec", finish_after_the_takeover)
    job = submit()
    take_over_when_running(job.id)
    assert execution.execute_job(job.id, worker="first") is None
    now = store.get_job(job.id)
    assert (now.status, now.worker, now.result) == (S.running, "second", None)
    store.heartbeat(job.id, "first")  # nor does its heartbeat keep the second run's row alive
    assert store.get_job(job.id).heartbeat_at == now.heartbeat_at
