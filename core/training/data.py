"""The datasets a train job reads: DAPT parquet and SFT jsonl splits, checked and fingerprinted."""

from dataclasses import dataclass, field
from pathlib import Path

from datasets import Dataset

from core.digest import file_sha256
from core.errors import JobFailure
from core.kinds.train.spec import EVAL_SHARE
from core.pipeline.build_marker import check_partner


@dataclass
class Splits:
    train: Dataset
    validation: Dataset | None
    files: dict[str, str] = field(default_factory=dict)  # path → sha256
    carved: bool = False


def _invalid(path: Path, message: str) -> JobFailure:
    return JobFailure(
        "dataset_invalid",
        f"{path}: {message}",
        hint="Build the datasets with a build_datasets job (or point dapt_dir/sft_dir at them).",
    )


def _load(path: Path, column: str) -> Dataset:
    try:
        dataset = (
            Dataset.from_parquet(str(path))
            if path.suffix == ".parquet"
            else (Dataset.from_json(str(path)))
        )
    except Exception as exc:  # pyarrow and json errors of many kinds: all mean unreadable
        raise _invalid(path, f"unreadable ({type(exc).__name__}: {exc})") from exc
    if len(dataset) and column not in dataset.column_names:
        raise _invalid(path, f"has no column {column!r} (columns: {dataset.column_names})")
    return dataset


def load_splits(folder: Path, suffix: str, column: str, seed: int, carve: bool = True) -> Splits:
    """train (required, non-empty) and validation (carved from train when missing or empty:
    EVAL_SHARE of its rows, at least one, the same rows for the same seed; `carved` says so),
    unless `carve` is false: nothing is evaluated, so train keeps every row.

    A folder written by build_datasets is refused (`dataset_mixed_runs`) when the folder its
    build wrote beside it (`dapt/` ↔ `sft/`) comes from another build: a train job with phase
    both reads that pair, and the runner loads one folder at a time.
    """
    check_partner(folder)
    train_path, validation_path = folder / f"train{suffix}", folder / f"validation{suffix}"
    if not train_path.is_file():
        raise _invalid(train_path, "missing")
    train = _load(train_path, column)
    if not len(train):
        raise _invalid(train_path, "has no rows")
    files = {str(train_path): file_sha256(train_path)}
    validation = None
    if validation_path.is_file():
        validation = _load(validation_path, column)
        files[str(validation_path)] = file_sha256(validation_path)
    if validation is not None and len(validation):
        return Splits(train.select_columns([column]), validation.select_columns([column]), files)
    if len(train) < 2 or not carve:
        return Splits(train.select_columns([column]), None, files)
    parts = train.train_test_split(test_size=EVAL_SHARE, seed=seed)
    return Splits(
        parts["train"].select_columns([column]),
        parts["test"].select_columns([column]),
        files,
        carved=True,
    )
