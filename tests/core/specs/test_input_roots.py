"""At run time (the worker's `run_spec`), an input under C64FT_INPUT_ROOTS is read through a
symlinked folder, and an output that leads into the input root fails the job."""

import json

import pyarrow.parquet as pq
import pytest

from core.errors import JobFailure
from core.kinds.build_datasets.spec import BuildDatasetsSpec
from core.kinds.running import run_spec
from tests.recording import RecordingContext


@pytest.fixture
def workspace(tmp_path, settings_env):
    """A workspace whose c64_docs is a symlink to a shared manuals folder (an input root)."""
    manuals = tmp_path / "shared" / "manuals"
    manuals.mkdir(parents=True)
    (manuals / "vic.html").write_text("<h1>VIC-II</h1><p>The video chip.</p>")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "c64_docs").symlink_to(manuals)
    settings_env(input_roots=json.dumps([str(tmp_path / "shared")]))
    return workspace


def test_the_manifest_reads_a_symlinked_manuals_folder_under_an_input_root(workspace):
    spec = BuildDatasetsSpec(kind="build_datasets", stages=["manifest"])
    result = run_spec(spec, RecordingContext(workspace))
    manifest = pq.read_table(workspace / spec.interim_dir / "manifest.parquet").to_pylist()
    assert [row["source_file"] for row in manifest] == ["vic.html"]
    assert result["stages"]["manifest"]["files"] == 1


def test_an_output_swapped_for_a_link_into_the_input_root_fails(workspace):
    spec = BuildDatasetsSpec(kind="build_datasets", stages=["manifest"], interim_dir="scratch")
    (workspace / "scratch").symlink_to(workspace / "c64_docs")  # after submission
    with pytest.raises(JobFailure) as failure:
        run_spec(spec, RecordingContext(workspace))
    assert (failure.value.type, failure.value.param) == ("path_outside_workspace", "interim_dir")
