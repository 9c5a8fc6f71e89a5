"""Paths in a spec: relative to the workspace, and never leaving it."""

import os
from pathlib import Path, PurePosixPath
from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _inside_workspace(value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or value.startswith("~"):
        raise ValueError("must be relative to the workspace (C64FT_WORKSPACE), not absolute")
    if ".." in path.parts:
        raise ValueError("must stay inside the workspace: '..' is not allowed")
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


def relative(workspace: Path, path: Path) -> str:
    """How a result names a path: relative to the workspace."""
    return os.path.relpath(path, workspace.resolve())
