"""Absolute spec paths and read-only input roots (C64FT_INPUT_ROOTS): an absolute path in the
workspace is stored relative; an input may lie under an input root, through a symlink too; an
output never leaves the workspace nor enters an input root; each refusal is a 422 naming the
field."""

import json
import shutil

import pytest

from tests.conftest import SESSION_WORKSPACE

MANIFEST_ONLY = {"kind": "build_datasets", "stages": ["manifest"]}
# Dry runs where a spec would pass: a cpu job queued in this process makes
# tests/worker/test_file_broker.py, run later in the same process, time out on its "cpu" queue.


def fields(answer) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    return {d["loc"][-1]: d["msg"] for d in answer.json()["detail"]}


@pytest.fixture
def shared(tmp_path):
    """A manuals folder outside the workspace, and a link to it in the workspace."""
    manuals = tmp_path / "shared" / "manuals"
    manuals.mkdir(parents=True)
    (manuals / "vic.html").write_text("<h1>VIC-II</h1>")
    link = SESSION_WORKSPACE / "linked-manuals"
    link.unlink(missing_ok=True)
    link.symlink_to(manuals)
    yield manuals
    link.unlink()


def test_an_absolute_path_in_the_workspace_is_accepted_and_stored_relative(client):
    (SESSION_WORKSPACE / "abs-docs").mkdir(exist_ok=True)
    (SESSION_WORKSPACE / "abs-docs/a.html").write_text("<p>SID</p>")
    body = {**MANIFEST_ONLY, "source_dir": f"{SESSION_WORKSPACE}/abs-docs"}
    body["interim_dir"] = f"{SESSION_WORKSPACE}/data/abs-interim"
    answer = client.post("/jobs?dry_run=true", json=body)  # the spec a submission would store
    assert answer.status_code == 200 and answer.json()["ok"] is True, answer.text
    spec = answer.json()["spec"]
    assert spec["source_dir"] == "abs-docs" and spec["interim_dir"] == "data/abs-interim"


def test_escapes_stay_refused_naming_the_field(client, tmp_path):
    outside = fields(client.post("/jobs", json={**MANIFEST_ONLY, "source_dir": str(tmp_path)}))
    assert "must lie inside the workspace" in outside["source_dir"]
    dots = fields(client.post("/jobs", json={**MANIFEST_ONLY, "output_dir": "data/../../x"}))
    assert "'..'" in dots["output_dir"]
    link = SESSION_WORKSPACE / "link-out"
    link.unlink(missing_ok=True)
    link.symlink_to(tmp_path)
    found = fields(client.post("/jobs", json={**MANIFEST_ONLY, "source_dir": "link-out"}))
    assert "leads outside the workspace" in found["source_dir"]


def test_a_symlinked_manuals_folder_is_read_when_it_lies_under_an_input_root(
    client, shared, settings_env
):
    body = {**MANIFEST_ONLY, "source_dir": "linked-manuals"}
    assert "leads outside the workspace" in fields(client.post("/jobs", json=body))["source_dir"]
    settings_env(input_roots=json.dumps([str(shared.parent)]))
    dry = client.post("/jobs?dry_run=true", json=body).json()
    checks = {c["name"]: c["message"] for c in dry["checks"]}
    assert dry["ok"] is True and checks["source_files"].startswith("1 PDF/HTML file(s)")
    assert "out of the workspace" not in checks["source_files"]
    absolute = client.post("/jobs?dry_run=true", json={**MANIFEST_ONLY, "source_dir": str(shared)})
    assert absolute.json()["ok"] is True, absolute.text
    assert absolute.json()["spec"]["source_dir"] == str(shared)


def test_an_output_never_goes_into_an_input_root(client, shared, settings_env):
    settings_env(input_roots=json.dumps([str(shared.parent)]))
    body = {**MANIFEST_ONLY, "source_dir": "linked-manuals"}
    found = fields(client.post("/jobs", json={**body, "interim_dir": f"{shared.parent}/out"}))
    assert "leads outside the workspace" in found["interim_dir"]
    found = fields(client.post("/jobs", json={**body, "interim_dir": "linked-manuals/interim"}))
    assert "leads outside the workspace" in found["interim_dir"]
    # a train job's datasets under the root: its outputs still stay in the workspace
    train = {"kind": "train", "dapt_dir": str(shared), "sft_output_dir": str(shared / "sft")}
    assert "leads outside the workspace" in fields(client.post("/jobs", json=train)).get(
        "sft_output_dir", ""
    )


def test_an_input_root_inside_the_workspace_is_fenced(client, settings_env):
    root = SESSION_WORKSPACE / "read-only"
    shutil.rmtree(root, ignore_errors=True)
    (root / "manuals").mkdir(parents=True)
    (root / "manuals/a.html").write_text("<p>CIA</p>")
    settings_env(input_roots=json.dumps([str(root)]))
    body = {**MANIFEST_ONLY, "source_dir": "read-only/manuals"}
    found = fields(client.post("/jobs", json={**body, "interim_dir": "read-only/interim"}))
    assert "lies inside the input root" in found["interim_dir"]
    found = fields(client.post("/jobs", json={**body, "interim_dir": "read-only/manuals/x"}))
    assert "lies inside this job's source_dir" in found["interim_dir"]
