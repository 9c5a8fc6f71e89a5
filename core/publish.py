"""Atomic, fenced publishing: write beside the target, then rename, so a crash never leaves half
a file or half a folder where a later job would read it; and replace only what a job of the same
kind made, so a careless output path cannot delete anyone's data.

Every folder a job writes carries a marker file naming the kind that made it. A folder without
one (the base model, the manuals, a user's own files) is never replaced or written into.
"""

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from core.errors import JobFailure

MARKER = ".c64ft-output.json"
OUTPUT_HINT = (
    "Choose another output folder (a new one, or one this kind of job wrote before); c64ft never "
    "replaces a folder it did not make, nor one another kind of job made."
)


class OutputRefused(JobFailure):
    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__("output_refused", message, hint=OUTPUT_HINT, param=param)


def marker_kind(folder: Path) -> str | None:
    """The job kind that made `folder`, or None when no c64ft job marked it."""
    try:
        return str(json.loads((folder / MARKER).read_text())["kind"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def refusal(path: Path, kind: str) -> str | None:
    """Why a job of `kind` may not write into or replace `path`; None when it may."""
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink():
        return f"{path} is a symbolic link"
    if not path.is_dir():
        return f"{path} exists and is not a folder"
    made_by = marker_kind(path)
    if made_by is None and any(path.iterdir()):
        return f"{path} is a folder that no c64ft job made (it has no {MARKER})"
    if made_by not in (None, kind):
        return f"{path} holds the output of a {made_by} job, not of a {kind} job"
    return None


def _mark(folder: Path, kind: str) -> None:
    written_at = datetime.now(UTC).isoformat()
    (folder / MARKER).write_text(json.dumps({"kind": kind, "written_at": written_at}))


def check_writable(path: Path, *, kind: str) -> None:
    """Raise OutputRefused unless a job of `kind` may write into or replace `path`."""
    if reason := refusal(path, kind):
        raise OutputRefused(reason)


def claim_dir(path: Path, *, kind: str) -> Path:
    """Make `path` a folder that a job of `kind` writes into (a train job's checkpoints)."""
    check_writable(path, kind=kind)
    path.mkdir(parents=True, exist_ok=True)
    if marker_kind(path) is None:
        _mark(path, kind)
    return path


def _temporary_sibling(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")


def _remove_stale_siblings(path: Path) -> None:
    """What a crashed publish of `path` left beside it (a whole merged model, for an 8B)."""
    if not path.parent.is_dir():
        return
    for stale in path.parent.glob(f".{path.name}.????????.tmp"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


@contextmanager
def publishing(path: Path) -> Iterator[Path]:
    """Yield a temporary file beside `path`; it replaces `path` only if the block succeeds."""
    _remove_stale_siblings(path)
    temporary = _temporary_sibling(path)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def publishing_dir(path: Path, *, kind: str, replace_unmarked: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; it replaces the folder `path` only on success,
    and only when `path` is missing, empty or a previous output of `kind` (`replace_unmarked`:
    the user asked for any folder to be replaced, e.g. `make-tiny-model --force`).

    Two renames (old aside, new in): readers see the old or the new folder, each complete.
    """
    if not replace_unmarked:
        check_writable(path, kind=kind)
    _remove_stale_siblings(path)
    temporary = _temporary_sibling(path)
    temporary.mkdir()
    try:
        yield temporary
        _mark(temporary, kind)
        retired = _temporary_sibling(path)
        if path.exists():
            path.rename(retired)
        temporary.rename(path)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
