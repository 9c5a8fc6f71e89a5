"""Outputs are fenced (docs/design.md): where a job may write, decided before it runs.

An output folder is never the workspace root, the job database's folder or the embedded
broker's, nor around one of them; it never overlaps (is, lies inside or holds) one of the job's
inputs, a base model, the source manuals or a read-only input root (C64FT_INPUT_ROOTS), nor
another output of the same job; and it never replaces or lies inside a folder that c64ft did
not make or that another kind of job made. Outputs never leave the workspace (`resolve` without
input roots), even where an input may.
"""

from pathlib import Path
from typing import NamedTuple

from core.config import Settings
from core.publish import OutputRefused, marker_kind, refusal
from core.specs.base import SpecBase
from core.specs.paths import resolve

SOURCE_MANUALS = "c64_docs"


class Fenced(NamedTuple):
    what: str  # how a message names it
    path: Path
    overlap: bool  # True: not it, not inside it, not around it; False: not it, not around it


class InputProblem(NamedTuple):
    param: str  # the spec field at fault
    message: str


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def fenced_paths(spec: SpecBase, root: Path, settings: Settings) -> list[Fenced]:
    """What no output of `spec` may touch, resolved in the workspace `root`."""
    fences = [Fenced("the workspace root", root, False)]
    if (database_file := settings.database_file) is not None:
        database = (root / database_file).resolve()
        fences.append(Fenced("the job database's folder", database.parent, False))
        fences.append(Fenced("the job database", database, False))
    if settings.embedded_broker:
        fences.append(Fenced("the embedded broker's folder", settings.broker_folder, False))
    readable = [(f"this job's {param} ({value})", value) for param, value in spec.inputs()]
    readable += [(f"the base model {m}", m) for m in settings.allowed_base_models]
    readable += [(f"the source manuals {SOURCE_MANUALS}", SOURCE_MANUALS)]
    for what, value in readable:
        try:  # an input may lie under an input root (a symlinked c64_docs): fenced there too
            fences.append(Fenced(what, resolve(root, value, settings.input_roots), True))
        except ValueError:  # an input outside the workspace is refused on its own
            continue
    fences += [Fenced(f"the input root {r} (read-only)", r, True) for r in settings.input_roots]
    return fences


def _clash(output: Path, fence: Fenced) -> str | None:
    if output == fence.path:
        return f"it is {fence.what}"
    if _inside(fence.path, output):
        return f"it holds {fence.what}"
    if fence.overlap and _inside(output, fence.path):
        return f"it lies inside {fence.what}"
    return None


def _existing(output: Path, root: Path, kind: str) -> str | None:
    """What is already on disk at or above `output` that a job of `kind` must not write over."""
    if reason := refusal(output, kind):
        return reason
    for folder in output.parents:
        if not _inside(folder, root) or folder == root:
            return None
        if folder.exists() and not folder.is_dir():
            return f"{folder} is a file, not a folder"
        if (made_by := marker_kind(folder)) not in (None, kind):
            return f"it lies inside {folder}, the output of a {made_by} job, which may replace it"
    return None


def output_problems(spec: SpecBase, workspace: Path, settings: Settings) -> list[InputProblem]:
    """Every output of `spec` that would write where it must not (docs/design.md, "fenced")."""
    root = workspace.resolve()
    fences = fenced_paths(spec, root, settings)
    problems: list[InputProblem] = []
    seen: list[Fenced] = []
    for param, value in spec.outputs():
        try:
            output = resolve(root, value)
        except ValueError:  # outside the workspace: refused by the path checks
            continue
        clash = next((c for f in fences if (c := _clash(output, f))), None)
        clash = clash or next((c for f in seen if (c := _clash(output, f))), None)
        clash = clash or _existing(output, root, spec.kind)
        if clash:
            problems.append(InputProblem(param, f"output {value}: {clash}"))
        seen.append(Fenced(f"this job's other output {value}", output, True))
    return problems


def steps_overlap(workspace: Path, value: str, written: list[tuple[str, str]]) -> str | None:
    """How output `value` of one workflow step overlaps an earlier step's output, if it does."""
    root = workspace.resolve()
    try:
        output = resolve(root, value)
        earlier = [
            Fenced(f"the {kind} step's output {v}", resolve(root, v), True) for kind, v in written
        ]
    except ValueError:  # outside the workspace: refused by the path checks
        return None
    return next((c for fence in earlier if (c := _clash(output, fence))), None)


def check_outputs(spec: SpecBase, workspace: Path, settings: Settings) -> None:
    """At the start of a run, the checks again (the disk may have changed since submission).
    Each runner then claims (`claim_dir`) or publishes (`publishing_dir`) its own folders."""
    if problems := output_problems(spec, workspace, settings):
        raise OutputRefused(problems[0].message, param=problems[0].param)
