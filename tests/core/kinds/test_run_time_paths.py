"""A path that leads out of the workspace at run time (a symlink swapped in after submission)
fails every kind the same way: `path_outside_workspace`, with the spec field named."""

import shutil

import pytest

from core.errors import JobFailure
from core.kinds import KINDS
from core.kinds.running import run_spec
from tests.recording import RecordingContext

CASES = [  # kind, spec fields, the folder swapped for a symlink, the field named
    ("train", {"model_path": "models/base"}, "models/base", "model_path"),
    ("train", {"phase": "sft", "sft_dir": "data/sft"}, "data", "sft_dir"),
    ("train", {"output_dir": "out/ft"}, "out", "output_dir"),
    (
        "validate_reasoning",
        {"runtime": "transformers", "model_path": "models/base"},
        "models/base",
        "model_path",
    ),
    ("validate_reasoning", {"gguf_dir": "models/m"}, "models/m", "gguf_dir"),
    ("export", {"model_path": "models/base"}, "models/base", "model_path"),
    ("export", {"model_path": "models/m", "output_dir": "out/gguf"}, "out", "output_dir"),
    ("validate_reasoning", {"model_path": "models/m"}, "results", "output_dir"),  # its default
    ("build_datasets", {"source_dir": "docs"}, "docs", "source_dir"),
]


@pytest.mark.parametrize(("kind", "fields", "swapped", "field"), CASES)
def test_a_symlink_swapped_in_after_submission_fails_with_the_field(
    kind, fields, swapped, field, tmp_path, tiny_model
):
    workspace = tmp_path / "ws"
    for folder in ("models/m", "models/base", "data/sft", "out", "results", "docs"):
        (workspace / folder).mkdir(parents=True)
    spec = KINDS[kind].spec.model_validate({"kind": kind, **fields})
    shutil.rmtree(workspace / swapped)  # after submission, the folder becomes a way out
    (workspace / swapped).symlink_to(tiny_model.parent, target_is_directory=True)

    with pytest.raises(JobFailure) as failure:
        run_spec(spec, RecordingContext(workspace))
    assert (failure.value.type, failure.value.param) == ("path_outside_workspace", field)
    assert "leads outside the workspace" in failure.value.message
