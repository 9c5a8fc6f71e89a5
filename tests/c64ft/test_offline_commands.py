"""Commands with no service to talk to: a clear message, never a traceback; sample-corpus."""

import io

import pytest
from typer.testing import CliRunner

from c64ft.cli import app
from c64ft.processes import free_port
from c64ft.progress import ProgressLines, progress_line
from core.sample_corpus import sample_corpus_dir

runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        ["submit", "gpu_smoke", "--allow-cpu"],
        ["submit", "gpu_smoke", "--dry-run"],
        ["status", "job_0123456789abcdef"],
        ["jobs"],
        ["cancel", "job_0123456789abcdef"],
        ["logs", "job_0123456789abcdef"],
        ["watch", "job_0123456789abcdef"],
        ["checkpoints", "job_0123456789abcdef"],
    ],
    ids=lambda a: a[0],
)
def test_a_service_that_is_down_is_named_with_how_to_start_it(args):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    done = runner.invoke(app, [*args, "--api", url])
    assert done.exit_code == 2
    assert f"could not reach the c64ft API at {url}" in done.output
    assert "c64ft up" in done.output and "Traceback" not in done.output


def test_sample_corpus_copies_once_and_refuses_a_folder_of_other_files(tmp_path):
    target = tmp_path / "docs"
    first = runner.invoke(app, ["sample-corpus", str(target)])
    assert first.exit_code == 0 and "copied" in first.output
    names = sorted(p.name for p in sample_corpus_dir().rglob("*") if p.is_file())
    assert sorted(p.name for p in target.rglob("*") if p.is_file()) == names
    again = runner.invoke(app, ["sample-corpus", str(target)])
    assert again.exit_code == 0 and "already there" in again.output
    (target / "mine.txt").write_text("my notes")
    refused = runner.invoke(app, ["sample-corpus", str(target)])
    assert refused.exit_code == 2 and "not empty" in refused.output
    assert (target / "mine.txt").read_text() == "my notes"


RUNNING = {
    "id": "job_1",
    "kind": "train",
    "status": "running",
    "stage": "sft",
    "progress": {"fraction": 0.12, "step": 120, "total_steps": 1000, "eta_s": 250.0},
}


def test_a_progress_line_has_step_loss_and_eta():
    line = progress_line(RUNNING, 1.2345)
    assert line == "job_1 train running · sft: step 120/1000 · 12.0% · loss 1.234 · ETA 4m10s"


def test_progress_lines_come_on_change_and_periodically():
    out = io.StringIO()
    lines = ProgressLines(out, every_s=3600)
    lines.update(RUNNING)
    lines.update(RUNNING)  # nothing changed, not yet due
    lines.update(RUNNING | {"stage": "merge"})
    assert out.getvalue().count("\n") == 2
    quiet = ProgressLines(out := io.StringIO(), every_s=0, on_change=False)
    quiet.update(RUNNING)  # the first is due every_s from now
    quiet.update(RUNNING)
    assert out.getvalue().count("step 120/1000") == 1
