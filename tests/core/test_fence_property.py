"""Issue 12's property: for any path in any path field of any kind, the spec is refused naming
a field (pydantic's 422 or the pre-flight's), or the job runs and every file that existed
outside the job's own output folders is unchanged (checksummed before and after)."""

import hashlib
import os
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from core.config import get_settings
from core.errors import JobFailure
from core.kinds import JobSpec
from core.kinds.running import run_spec
from core.preflight import input_problems
from core.specs.paths import resolve
from tests.conftest import copy_workspace
from tests.recording import RecordingContext

pytestmark = pytest.mark.slow

MODEL = "models/tiny-ministral3"
# Each kind at its smallest, reading the sample workspace; the property sets one path field.
BASE = {
    "build_datasets": {
        "model_path": MODEL,
        "block_size": 128,
        "stride": 16,
        "min_chunk_tokens": 32,
        "min_dapt_chunks": 1,
        "min_sft_examples": 1,
        "allow_ocr": False,
        "strict_thinking_contract": False,
    },
    "train": {
        "model_path": MODEL,
        "output_dir": "models/ft",
        "allow_cpu": True,
        "max_steps": 1,
        "batch_size": 2,
        "grad_accum": 1,
        "max_length": 512,
        "eval_strategy": "no",
        "gradient_checkpointing": False,
        "save_steps": 1,
        "warmup_steps": 0,
    },
    "export": {"model_path": MODEL, "quants": ["Q8_0"]},
    "validate_reasoning": {
        "runtime": "transformers",
        "model_path": MODEL,
        "allow_cpu": True,
        "seeds": [1],
        "max_new_tokens": 2,
    },
}
PATH_FIELDS = {
    "build_datasets": ["source_dir", "model_path", "output_dir", "interim_dir"],
    "train": ["model_path", "dapt_dir", "sft_dir", "output_dir", "dapt_output_dir"]
    + ["sft_output_dir", "chat_template_path"],
    "export": ["model_path", "adapter_path", "output_dir"],
    "validate_reasoning": ["model_path", "adapter_path", "chat_template_path", "output_dir"],
}
PLACES = [
    ".",
    "..",
    "models",
    MODEL,
    f"{MODEL}/sub",
    "models/link",
    "models/ft",
    "models/ft/x",
    "c64_docs",
    "c64_docs/sid.pdf",
    "c64_docs/sid.pdf/x",
    "data",
    "data/c64ft.db",
    "data/broker",
    "data/processed",
    "data/processed/dapt",
    "data/processed/sft",
    "data/interim",
    "results",
    "results/new",
    "escape",
    "escape/x",
    "ü/résumé",
    "a" * 256,
    "b" * 200 + "/" + "c" * 60,
    "/etc",
    "~/x",
]
SEGMENTS = [
    ".",
    "..",
    "models",
    "data",
    "processed",
    "tiny-ministral3",
    "link",
    "escape",
    "x",
    "ü",
    "a" * 255,
    "c64_docs",
]
PATHS = st.sampled_from(PLACES) | st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3).map(
    "/".join
)


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A folder outside every workspace that a symlink in the workspace points to."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.txt").write_text("not the workspace's")
    return folder


@contextmanager
def workspace_settings(workspace: Path, allowed: str):
    keys = {"C64FT_WORKSPACE": str(workspace), "C64FT_ALLOWED_BASE_MODELS": allowed}
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.update(keys)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.update({key: value})
        get_settings.cache_clear()


def sandbox(sample_workspace: Path, target: Path, outside: Path) -> Path:
    copy_workspace(sample_workspace, target)
    with sqlite3.connect(target / "data/c64ft.db") as db:  # stands in for the job database
        db.execute("create table if not exists jobs (id text)")
    (target / "models/link").symlink_to("tiny-ministral3")
    (target / "escape").symlink_to(outside)
    return target


def checksums(*roots: Path) -> dict[str, str]:
    found = {}
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def own_outputs(spec, workspace: Path) -> list[Path]:
    folders = [resolve(workspace, value) for _param, value in spec.outputs()]
    if spec.kind == "validate_reasoning" and spec.output_dir is None:
        folders.append(workspace / "results/reasoning_validation")  # one new folder per run
    return folders


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_path_field_is_refused_or_touches_only_its_own_output(
    data, sample_workspace, outside, tmp_path_factory
):
    kind = data.draw(st.sampled_from(sorted(PATH_FIELDS)), label="kind")
    field = data.draw(st.sampled_from(PATH_FIELDS[kind]), label="field")
    path = data.draw(PATHS, label="path")
    workspace = sandbox(sample_workspace, tmp_path_factory.mktemp("ws"), outside)
    body = {"kind": kind, **BASE[kind], field: path}
    try:
        spec = TypeAdapter(JobSpec).validate_python(body)
    except ValidationError as exc:  # the API's 422, naming the field
        assert any(field in error["loc"] for error in exc.errors()), exc
        event("refused: spec")
        return
    with workspace_settings(workspace, f'["{MODEL}", "models/link"]'):
        if problems := input_problems(spec):  # the API's 422, naming a field of the spec
            assert {p.param for p in problems} <= set(type(spec).model_fields), problems
            event("refused: pre-flight")
            return
        before = checksums(workspace, outside)
        try:
            run_spec(spec, RecordingContext(workspace))
            event(f"ran {kind}: succeeded")
        except JobFailure as failure:  # a clean failure is fine; what matters is what it left
            event(f"ran {kind}: {failure.type}")
    mine = own_outputs(spec, workspace)
    after = checksums(workspace, outside)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    strays = [p for p in changed if not any(Path(p).is_relative_to(o) for o in mine)]
    assert not strays, f"{body} changed files outside its outputs {mine}: {sorted(strays)[:5]}"
    shutil.rmtree(workspace, ignore_errors=True)
