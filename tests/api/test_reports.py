"""GET /jobs/{id}/reports: only the Markdown files a finished job's kind or workflow result
names, read from inside the workspace; never a path the request carries."""

import os

import pytest

from core.config import get_settings
from core.jobs import store
from core.jobs.db import write_session
from core.jobs.models import Job, JobStatus
from core.kinds.build_datasets.spec import BuildDatasetsSpec

REPORT = "# Validation report\n\n**verdict**: pass\n"


def _finished_datasets_job(output_dir: str) -> str:
    spec = BuildDatasetsSpec(kind="build_datasets", output_dir=output_dir)
    job = store.create_job(spec=spec)
    store.transition(job.id, JobStatus.running)
    store.transition(job.id, JobStatus.succeeded, result={"verdict": "pass"})
    return job.id


def _workflow_job(reports: dict) -> str:
    with write_session() as session:
        job = Job(
            id=store.new_job_id(),
            kind="workflow",
            queue="workflow",
            spec={"kind": "workflow", "steps": ["validate_reasoning"]},
            status=JobStatus.failed,
            result={"steps": [], "verdict": "FAIL", "reports": reports},
        )
        session.add(job)
    return job.id


@pytest.fixture
def workspace():
    return get_settings().workspace


def test_a_finished_dataset_job_serves_its_validation_report(client, workspace):
    (workspace / "data/reports-a").mkdir(parents=True, exist_ok=True)
    (workspace / "data/reports-a/validation_report.md").write_text(REPORT)
    job_id = _finished_datasets_job("data/reports-a")

    listed = client.get(f"/jobs/{job_id}/reports").json()["data"]
    assert listed == [
        {"name": "datasets", "path": "data/reports-a/validation_report.md", "on_disk": True}
    ]
    answer = client.get(f"/jobs/{job_id}/reports/datasets")
    assert answer.status_code == 200 and answer.text == REPORT
    assert answer.headers["content-type"].startswith("text/markdown")


def test_a_running_job_has_no_report_yet(client, workspace):
    spec = BuildDatasetsSpec(kind="build_datasets", output_dir="data/reports-b")
    job = store.create_job(spec=spec)
    assert client.get(f"/jobs/{job.id}/reports").json()["data"] == []
    assert client.get(f"/jobs/{job.id}/reports/datasets").status_code == 404


def test_a_workflow_serves_the_markdown_reports_its_result_names(client, workspace):
    (workspace / "results/rv-1").mkdir(parents=True, exist_ok=True)
    (workspace / "results/rv-1/summary.md").write_text("# Summary\n")
    job_id = _workflow_job(
        {"reasoning": "results/rv-1/summary.md", "model": {"merged_model": "models/x"}}
    )
    listed = client.get(f"/jobs/{job_id}/reports").json()["data"]
    assert [r["name"] for r in listed] == ["reasoning"]  # a folder or a dict is no report
    assert client.get(f"/jobs/{job_id}/reports/reasoning").text == "# Summary\n"


def test_no_file_outside_the_workspace_is_served(client, workspace, tmp_path, backend):
    secret = tmp_path / "secret.md"
    secret.write_text("not yours")
    folder = f"results/rv-2-{backend}"  # a link of its own per backend's run
    (workspace / folder).mkdir(parents=True)
    os.symlink(secret, workspace / folder / "summary.md")
    job_id = _workflow_job(
        {"reasoning": f"{folder}/summary.md", "up": "../../../etc/passwd.md", "abs": str(secret)}
    )
    listed = client.get(f"/jobs/{job_id}/reports").json()["data"]
    assert {r["name"]: r["on_disk"] for r in listed} == {
        "reasoning": False,
        "up": False,
        "abs": False,
    }
    for name in ("reasoning", "up", "abs", "..%2F..%2Fetc%2Fpasswd", "summary.md"):
        answer = client.get(f"/jobs/{job_id}/reports/{name}")
        assert answer.status_code == 404, name
        assert "not yours" not in answer.text


def test_reports_of_an_unknown_job_are_404(client):
    assert client.get("/jobs/job_nope/reports").status_code == 404
    assert client.get("/jobs/job_nope/reports/datasets").status_code == 404
