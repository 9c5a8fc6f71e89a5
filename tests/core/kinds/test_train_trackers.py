"""report_to: which trackers a spec names, a missing package's message, and where they write."""

import os

import pytest

from core.kinds.train import trackers


@pytest.mark.parametrize(
    ("report_to", "chosen"),
    [
        ("none", []),
        ("mlflow", ["mlflow"]),
        (["wandb", "tensorboard", "wandb"], ["wandb", "tensorboard"]),
        ([], []),
    ],
)
def test_chosen_trackers(report_to, chosen):
    assert trackers.chosen(report_to) == chosen


def test_a_missing_package_names_report_to_and_the_pip_command():
    installed = {"tensorboard"}

    def find_spec(module):  # a stand-in for importlib.util.find_spec on a worker without them
        return object() if module in installed else None

    assert trackers.missing(["tensorboard"], find_spec) is None
    assert trackers.missing([], find_spec) is None
    message = trackers.missing(["tensorboard", "mlflow", "wandb"], find_spec)
    assert message is not None
    assert message.startswith("report_to mlflow, wandb: not installed")
    assert message.endswith("install it with: pip install mlflow-skinny wandb")
    mlflow = trackers.missing(["mlflow"], find_spec)
    assert mlflow is not None
    assert mlflow.endswith("pip install mlflow-skinny (or pip install 'c64ft[trackers]')")


def test_mlflow_and_wandb_write_in_the_tracking_folder_unless_the_worker_says_where(
    tmp_path, monkeypatch
):
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_ALLOW_FILE_STORE", "WANDB_DIR"):
        monkeypatch.delenv(name, raising=False)
    with trackers.environment(["mlflow", "wandb"], tmp_path) as where:
        assert os.environ["MLFLOW_TRACKING_URI"] == (tmp_path / "mlruns").as_uri()
        assert os.environ["MLFLOW_ALLOW_FILE_STORE"] == "true"
        assert os.environ["WANDB_DIR"] == str(tmp_path)
    assert where == {"mlflow": str(tmp_path / "mlruns"), "wandb": str(tmp_path)}
    assert "MLFLOW_TRACKING_URI" not in os.environ and "WANDB_DIR" not in os.environ

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.internal:5000")
    with trackers.environment(["mlflow"], tmp_path) as where:
        assert os.environ["MLFLOW_TRACKING_URI"] == "http://mlflow.internal:5000"
        assert "MLFLOW_ALLOW_FILE_STORE" not in os.environ
    assert where == {"mlflow": "$MLFLOW_TRACKING_URI"}
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://mlflow.internal:5000"
