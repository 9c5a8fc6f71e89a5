"""Paths in a spec: in the workspace, and never leaving it; an input may also lie under one of
the operator's read-only input roots (C64FT_INPUT_ROOTS).

A spec stores a path inside the workspace relative to it, however it was given (an absolute
path is made relative), so that the same spec means the same files to the API and the worker.
"""

import os
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from core.config import get_settings
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
    if value.startswith("~"):
        raise ValueError("must be a path in the workspace (C64FT_WORKSPACE), not a home folder")
    if ".." in path.parts:
        raise ValueError("must stay inside the workspace: '..' is not allowed")
    if any(len(part.encode()) > MAX_NAME_BYTES for part in path.parts):
        raise ValueError(
            f"each folder or file name must be at most {MAX_NAME_BYTES} bytes in UTF-8"
        )
    return _workspace_relative(path) if path.is_absolute() else str(path)


def _workspace_relative(path: PurePosixPath) -> str:
    """An absolute spec path as the spec stores it: relative when it names a place in the
    workspace (the folder that holds it may be spelt through a symlink), else as given when it
    lies under an input root. Symlinks further on are checked where the path is used."""
    settings = get_settings()
    workspace = settings.workspace
    spellings = [Path(path), Path(os.path.realpath(path.parent)) / path.name]
    for spelling in spellings:
        if spelling.is_relative_to(workspace):
            return spelling.relative_to(workspace).as_posix()
    if any(spelling.is_relative_to(r) for spelling in spellings for r in settings.input_roots):
        return str(path)
    raise ValueError(
        f"must lie inside the workspace {workspace} (C64FT_WORKSPACE), or for an input under "
        "C64FT_INPUT_ROOTS"
    )


WorkspacePath = Annotated[
    str, StringConstraints(min_length=1, max_length=1024), AfterValidator(_inside_workspace)
]


def resolve(workspace: Path, value: str, roots: Sequence[Path] = ()) -> Path:
    """The absolute path of a spec path, every symlink followed. It must lie in the workspace,
    or (an input: the caller passes `input_roots()`) under one of `roots`."""
    root = workspace.resolve()
    path = (root / value).resolve()
    if path.is_relative_to(root) or any(path.is_relative_to(r) for r in roots):
        return path
    if roots:
        allowed = ", ".join(str(r) for r in roots)
        raise ValueError(
            f"{value} leads outside the workspace {root} and the input roots {allowed} "
            "(C64FT_INPUT_ROOTS)"
        )
    raise ValueError(f"{value} leads outside the workspace {root}")


def input_roots() -> list[Path]:
    """The folders outside the workspace that inputs (never outputs) may lie in."""
    return get_settings().input_roots


def resolve_input(workspace: Path, value: str) -> Path:
    """`resolve` for a path the job only reads: under an input root is allowed too."""
    return resolve(workspace, value, input_roots())


def resolve_field(workspace: Path, field: str, value: str, *, read_only: bool = False) -> Path:
    """`resolve` at run time, for the spec field `field` (`read_only`: an input, which may lie
    under an input root): a path that leads out (a symlink swapped in after submission) fails
    the job as `path_outside_workspace`."""
    try:
        return resolve(workspace, value, input_roots() if read_only else ())
    except ValueError as exc:
        where = "the workspace or C64FT_INPUT_ROOTS" if read_only else "the workspace"
        raise JobFailure(
            "path_outside_workspace",
            str(exc),
            hint=f"Point {field} at a path inside {where}; no symlink on the way may lead "
            "out of it.",
            param=field,
        ) from exc


def relative(workspace: Path, path: Path) -> str:
    """How a result names a path: relative to the workspace; absolute when it lies outside
    (an input under an input root)."""
    root, absolute = workspace.resolve(), Path(os.path.abspath(path))
    return os.path.relpath(absolute, root) if absolute.is_relative_to(root) else str(absolute)
