"""Atomic publishing: write beside the target, then rename, so a crash never leaves half a file
or half a folder where a later job would read it."""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _temporary_sibling(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")


@contextmanager
def publishing(path: Path) -> Iterator[Path]:
    """Yield a temporary file beside `path`; it replaces `path` only if the block succeeds."""
    temporary = _temporary_sibling(path)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def publishing_dir(path: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; it replaces the folder `path` only on success.

    Two renames (old aside, new in): readers see the old or the new folder, each complete.
    """
    temporary = _temporary_sibling(path)
    temporary.mkdir()
    try:
        yield temporary
        retired = _temporary_sibling(path)
        if path.exists():
            path.rename(retired)
        temporary.rename(path)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
