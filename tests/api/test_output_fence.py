"""Issue 12, finding 1: no output path can replace an input, a model, the manuals, the database
or the workspace; each such spec is a 422 naming the field, before anything runs."""

import json

import pytest

from core.publish import MARKER
from tests.conftest import SESSION_WORKSPACE


@pytest.fixture
def models(settings_env):
    """A base model and another model folder (no marker: nobody's output) in the workspace."""
    settings_env(allowed_base_models=json.dumps(["models/base"]))
    for name in ("base", "keep"):
        (SESSION_WORKSPACE / "models" / name).mkdir(parents=True, exist_ok=True)
        (SESSION_WORKSPACE / "models" / name / "config.json").write_text("{}")
        (SESSION_WORKSPACE / "models" / name / "tokenizer.json").write_text("{}")
    (SESSION_WORKSPACE / "c64_docs").mkdir(exist_ok=True)
    (SESSION_WORKSPACE / "c64_docs/a.html").write_text("<h1>VIC-II</h1>")


def refused(client, body: dict) -> dict[str, str]:
    answer = client.post("/jobs", json=body)
    assert answer.status_code == 422, answer.text
    found: dict[str, str] = {}  # every message about each field
    for d in answer.json()["detail"]:
        field = ".".join(d["loc"][1:])
        found[field] = f"{found.get(field, '')}{d['msg']}; "
    return found


def test_a_report_never_replaces_a_model_nor_the_workspace(client, models):
    body = {"kind": "validate_reasoning", "runtime": "transformers", "model_path": "models/base"}
    found = refused(client, {**body, "output_dir": "models/keep"})
    assert "no c64ft job made" in found["output_dir"]
    found = refused(client, {**body, "output_dir": "."})
    assert "it is the workspace root" in found["output_dir"]
    found = refused(client, {**body, "output_dir": "models/base"})
    assert "it is this job's model_path" in found["output_dir"]
    found = refused(client, {**body, "output_dir": "models"})
    assert "it holds this job's model_path" in found["output_dir"]


def test_train_outputs_never_overwrite_the_base_model(client, models):
    body = {"kind": "train", "model_path": "models/base"}
    for field in ("output_dir", "sft_output_dir", "dapt_output_dir"):
        found = refused(client, {**body, field: "models/base"})
        assert "it is this job's model_path" in found[field], found
    found = refused(client, {**body, "output_dir": "models/base/ft"})
    assert "it lies inside this job's model_path" in found["output_dir"]
    found = refused(client, {**body, "dapt_output_dir": "models/x", "sft_output_dir": "models/x"})
    assert "this job's other output models/x" in found["sft_output_dir"]


def test_datasets_never_overwrite_the_manuals_the_database_or_a_model(client, models, backend):
    body = {"kind": "build_datasets", "model_path": "models/base"}
    found = refused(client, {**body, "output_dir": "c64_docs"})
    assert "it is this job's source_dir" in found["output_dir"]
    found = refused(client, {**body, "interim_dir": "data"})
    if backend == "sqlite":  # a database file in the workspace is fenced like the manuals
        assert "it is the job database's folder" in found["interim_dir"]
        found = refused(client, {**body, "output_dir": "data/c64ft.db"})
        assert "it is the job database" in found["output_dir"]
    else:  # Postgres keeps no file in the workspace; data/ still holds the file broker's queues
        assert "it holds the embedded broker's folder" in found["interim_dir"]
    found = refused(client, {**body, "output_dir": "models/keep"})
    assert "no c64ft job made" in found["output_dir"]


def test_an_output_of_another_kind_is_never_replaced(client, models):
    trained = SESSION_WORKSPACE / "models/trained"
    trained.mkdir(exist_ok=True)
    (trained / MARKER).write_text(json.dumps({"kind": "train"}))
    body = {"kind": "validate_reasoning", "model_path": "models/base"}
    found = refused(client, {**body, "output_dir": "models/trained"})
    assert "holds the output of a train job" in found["output_dir"]
    found = refused(client, {**body, "output_dir": "models/trained/report"})
    assert "lies inside" in found["output_dir"] and "train job" in found["output_dir"]
    (SESSION_WORKSPACE / "results").mkdir(exist_ok=True)
    (SESSION_WORKSPACE / "results/notes.txt").write_text("mine")
    found = refused(client, {**body, "output_dir": "results/notes.txt/report"})
    assert "is a file, not a folder" in found["output_dir"]


def test_a_workflows_linked_defaults_obey_the_same_rules(client, models):
    body = {
        "kind": "workflow",
        "train": {"model_path": "models/base", "output_dir": "data/processed"},
    }
    found = refused(client, body)
    assert "it holds this job's dapt_dir (data/processed/dapt)" in found["train.output_dir"]
    body = {
        "kind": "workflow",
        "build_datasets": {"output_dir": "models/ft"},
        "train": {"model_path": "models/base", "output_dir": "models/ft"},
    }
    found = refused(client, body)
    assert "the build_datasets step's output models/ft" in found["train.output_dir"]
    body = {
        "kind": "workflow",
        "steps": ["train", "validate_reasoning"],
        "train": {"model_path": "models/base", "output_dir": "models/ft"},
        "validate_reasoning": {"output_dir": "models/ft"},
    }
    found = refused(client, body)
    assert "models/ft" in found["validate_reasoning.output_dir"]


def test_a_fenced_spec_is_also_refused_by_the_dry_run(client, models):
    body = {"kind": "validate_reasoning", "model_path": "models/base", "output_dir": "."}
    dry = client.post("/jobs?dry_run=true", json=body).json()
    assert dry["ok"] is False
    assert {c["name"]: c["status"] for c in dry["checks"]}["output_dir"] == "fail"
