"""Submitting build_datasets: bad inputs are a 422 naming the field, dry runs say why."""

from tests.conftest import SESSION_WORKSPACE


def test_missing_source_and_tokenizer_are_refused_with_the_field(client):
    answer = client.post("/jobs", json={"kind": "build_datasets", "source_dir": "nowhere"})
    assert answer.status_code == 422
    problems = {d["loc"][-1]: d["msg"] for d in answer.json()["detail"]}
    assert "nowhere is not a folder" in problems["source_dir"]
    assert "tokenizer.json" in problems["model_path"]


def test_paths_must_stay_in_the_workspace(client):
    answer = client.post("/jobs", json={"kind": "build_datasets", "output_dir": "../x"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "output_dir"
    assert "'..'" in answer.json()["detail"][0]["msg"]


def test_dry_run_lists_the_failed_checks_and_counts_sources(client):
    dry = client.post("/jobs?dry_run=true", json={"kind": "build_datasets", "source_dir": "x"})
    assert dry.status_code == 200 and dry.json()["ok"] is False
    names = {c["name"]: c["status"] for c in dry.json()["checks"]}
    assert names["source_dir"] == "fail" and names["model_path"] == "fail"

    (SESSION_WORKSPACE / "docs").mkdir(exist_ok=True)
    (SESSION_WORKSPACE / "docs/a.pdf").write_bytes(b"%PDF")
    body = {"kind": "build_datasets", "source_dir": "docs", "stages": ["manifest", "extract"]}
    rerun = client.post("/jobs?dry_run=true", json=body)
    checks = {c["name"]: c for c in rerun.json()["checks"]}
    assert rerun.json()["ok"] is True and "1 PDF/HTML file(s)" in checks["source_files"]["message"]
    assert rerun.json()["spec"]["block_size"] == 2048 and rerun.json()["queue"] == "cpu"


def test_dry_run_counts_only_the_files_the_build_will_read(client, tmp_path):
    docs = SESSION_WORKSPACE / "linked-docs"
    docs.mkdir(exist_ok=True)
    (docs / "a.pdf").write_bytes(b"%PDF")
    (tmp_path / "secret.pdf").write_bytes(b"%PDF")
    (docs / "b.pdf").unlink(missing_ok=True)
    (docs / "b.pdf").symlink_to(tmp_path / "secret.pdf")  # leads out of the workspace
    body = {"kind": "build_datasets", "source_dir": "linked-docs", "stages": ["manifest"]}
    checks = {c["name"]: c for c in client.post("/jobs?dry_run=true", json=body).json()["checks"]}
    message = checks["source_files"]["message"]
    assert message.startswith("1 PDF/HTML file(s)") and "1 link(s) out of the workspace" in message
