"""Experiment trackers a train job reports to (`report_to`): whether the worker has their
packages, and where their files go. No tracker is imported here: the API checks specs too."""

import importlib.util
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# tracker: (the module the Hugging Face trainer imports, the package that installs it)
PACKAGES = {
    "tensorboard": ("tensorboard", "tensorboard"),
    "mlflow": ("mlflow", "mlflow-skinny"),
    "wandb": ("wandb", "wandb"),
}
TENSORBOARD_FOLDER = "runs"  # the Hugging Face trainer's own, in each phase's output folder
MLFLOW_FOLDER = "mlruns"  # in the job's tracking folder
EXTRA = {"tensorboard", "mlflow"}  # what pyproject's `trackers` extra installs


def chosen(report_to: str | Sequence[str]) -> list[str]:
    """The trackers `report_to` names: none, one, or a list (each once, in order)."""
    if report_to == "none":
        return []
    return [report_to] if isinstance(report_to, str) else list(dict.fromkeys(report_to))


def missing(
    trackers: list[str], find_spec: Callable[[str], Any] = importlib.util.find_spec
) -> str | None:
    """Why the trackers cannot report here (naming `report_to` and what to install), or None
    when every one's package is installed."""
    absent = [t for t in trackers if find_spec(PACKAGES[t][0]) is None]
    if not absent:
        return None
    packages = " ".join(PACKAGES[t][1] for t in absent)
    extra = " (or pip install 'c64ft[trackers]')" if set(absent) <= EXTRA else ""
    return (
        f"report_to {', '.join(absent)}: not installed where the job runs; "
        f"install it with: pip install {packages}{extra}"
    )


@contextmanager
def environment(trackers: list[str], folder: Path) -> Iterator[dict[str, str]]:
    """While training: MLflow writes to a local file store and wandb its files inside the job's
    tracking `folder`, unless the worker's environment names its own (MLFLOW_TRACKING_URI,
    WANDB_DIR); wandb's other settings (WANDB_MODE=offline, its key) come from the
    environment. Yields, for each of them, the folder it writes to, or the variable's name
    where the worker set it; the environment is restored after."""
    where, added = {}, {}
    for tracker, variable, path in (
        ("mlflow", "MLFLOW_TRACKING_URI", folder / MLFLOW_FOLDER),
        ("wandb", "WANDB_DIR", folder),
    ):
        if tracker not in trackers:
            continue
        if variable in os.environ:
            where[tracker] = f"${variable}"
            continue
        where[tracker] = str(path)
        added[variable] = path.as_uri() if tracker == "mlflow" else str(path)
        if tracker == "mlflow":  # MLflow 3 refuses its file store (maintenance mode) unless told
            added["MLFLOW_ALLOW_FILE_STORE"] = "true"
    added = {name: value for name, value in added.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield where
    finally:
        for variable in added:
            os.environ.pop(variable, None)
