"""Paths in a spec: relative to the workspace, and never leaving it."""

import os
import re
from pathlib import Path, PurePosixPath
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from core.errors import JobFailure

# A file system refuses a name over 255 bytes; the service adds up to 24 bytes to an output's
# name (`.<name>-merged-hf.<8 hex>.tmp` while publishing), so a spec's names stay under 224.
MAX_NAME_BYTES = 223
MAX_PATH_BYTES = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # NUL makes every os call raise; the rest is never meant


def _inside_workspace(value: str) -> str:
    try:
        encoded = value.encode()
    except UnicodeEncodeError:  # a lone surrogate ("\\ud800") has no UTF-8 form
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    if len(encoded) > MAX_PATH_BYTES:
        raise ValueError(f"must be at most {MAX_PATH_BYTES} bytes in UTF-8")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (NUL, newline, ...)")
    path = PurePosixPath(value)
    if path.is_absolute() or value.startswith("~"):
        raise ValueError("must be relative to the workspace (C64FT_WORKSPACE), not absolute")
    if ".." in path.parts:
        raise ValueError("must stay inside the workspace: '..' is not allowed")
    if any(len(part.encode()) > MAX_NAME_BYTES for part in path.parts):
        raise ValueError(
            f"each folder or file name must be at most {MAX_NAME_BYTES} bytes in UTF-8"
        )
    return str(path)


WorkspacePath = Annotated[
    str, StringConstraints(min_length=1, max_length=1024), AfterValidator(_inside_workspace)
]


def resolve(workspace: Path, relative: str) -> Path:
    """The absolute path of a spec path; a symlink that leads out of the workspace is refused."""
    root = workspace.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"{relative} leads outside the workspace {root}")
    return path


def resolve_field(workspace: Path, field: str, value: str) -> Path:
    """`resolve` at run time, for the spec field `field`: a path that leads out of the workspace
    (a symlink swapped in after submission) fails the job as `path_outside_workspace`."""
    try:
        return resolve(workspace, value)
    except ValueError as exc:
        raise JobFailure(
            "path_outside_workspace",
            str(exc),
            hint=f"Point {field} at a path inside the workspace; no symlink on the way may lead "
            "out of it.",
            param=field,
        ) from exc


def relative(workspace: Path, path: Path) -> str:
    """How a result names a path: relative to the workspace."""
    return os.path.relpath(path, workspace.resolve())
