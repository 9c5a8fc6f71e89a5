"""report_to on the tiny model: TensorBoard's event files and MLflow's file store hold the train
loss at the logged steps, and the job's metrics.csv holds every point it recorded."""

import csv

import pytest
from mlflow.tracking import MlflowClient
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from core.metrics_csv import COLUMNS
from tests.conftest import copy_workspace
from tests.core.training.test_train import train

pytestmark = pytest.mark.slow  # trains the tiny model


@pytest.fixture
def workspace(sample_workspace, tmp_path):
    return copy_workspace(sample_workspace, tmp_path / "ws")


def test_tensorboard_mlflow_and_the_metrics_file_record_the_train_loss(workspace, monkeypatch):
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_ALLOW_FILE_STORE", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    trackers = ["tensorboard", "mlflow"]
    short = {"phase": "sft", "max_steps": 4, "eval_strategy": "no", "merge_adapter": False}
    result, ctx = train(workspace, **short, report_to=trackers)
    losses = {p["step"]: p["loss"] for p in ctx.points if p["loss"] is not None}
    assert sorted(losses) == [2, 4]
    assert result["trackers"] == {"mlflow": "models/ft/mlruns", "tensorboard": ["models/ft/runs"]}

    [events] = (workspace / "models/ft/runs").rglob("events.out.tfevents.*")
    accumulator = EventAccumulator(str(events.parent))
    accumulator.Reload()
    logged = {event.step: event.value for event in accumulator.Scalars("train/loss")}
    assert logged == pytest.approx(losses)  # TensorBoard keeps float32

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # to read MLflow's file store back
    client = MlflowClient(tracking_uri=(workspace / "models/ft/mlruns").as_uri())
    experiments = [e.experiment_id for e in client.search_experiments()]
    [run] = client.search_runs(experiments)
    history = client.get_metric_history(run.info.run_id, "loss")
    assert {metric.step: metric.value for metric in history} == pytest.approx(losses)

    assert result["metrics_csv"] == "models/ft/metrics.csv"
    with (workspace / result["metrics_csv"]).open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == len(ctx.points) and all(row["id"] == "" and row["ts"] for row in rows)
    assert [(r["phase"], int(r["step"])) for r in rows] == [
        (p["phase"], p["step"]) for p in ctx.points
    ]
    assert {int(r["step"]): float(r["loss"]) for r in rows if r["loss"]} == losses
    assert not list((workspace / "models/ft").glob(".metrics.csv.*.tmp"))  # nothing half-written
