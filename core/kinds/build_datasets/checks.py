"""What a build_datasets submission must pass, and what its dry run shows."""

from pathlib import Path

from core.fence import InputProblem
from core.kinds.base import Check, outside
from core.kinds.build_datasets.spec import BuildDatasetsSpec
from core.specs.paths import input_roots, resolve_input


def problems(spec: BuildDatasetsSpec, workspace: Path, _produced: set[str]) -> list[InputProblem]:
    params = ["output_dir", "interim_dir"]
    params += ["source_dir"] if "manifest" in spec.stages else []
    params += ["model_path"] if "build_dapt" in spec.stages else []
    found = outside(spec, workspace, params)
    inside = set(params) - {p.param for p in found}
    if "source_dir" in inside and not resolve_input(workspace, spec.source_dir).is_dir():
        message = f"{spec.source_dir} is not a folder in the workspace {workspace}"
        found.append(InputProblem("source_dir", message))
    model = resolve_input(workspace, spec.model_path) if "model_path" in inside else None
    if model and not (model / "tokenizer.json").is_file():
        message = f"{spec.model_path} has no tokenizer.json (it cuts the DAPT text into tokens)"
        found.append(InputProblem("model_path", message))
    return found


def notes(
    spec: BuildDatasetsSpec, workspace: Path, _failed: bool, _produced: set[str]
) -> list[Check]:
    """How many manuals the manifest stage would read."""
    from core.pipeline.manifest import source_files  # the manifest stage's own walk

    if "manifest" not in spec.stages:
        return []
    try:
        source = resolve_input(workspace, spec.source_dir)
    except ValueError:  # refused on its own (`problems`)
        return []
    if not source.is_dir():
        return []
    found, links_out = source_files(source, workspace, tuple(input_roots()))
    skipped = f"; {len(links_out)} link(s) out of the workspace skipped" if links_out else ""
    message = f"{len(found)} PDF/HTML file(s) under {spec.source_dir}{skipped}"
    return [Check(name="source_files", status="pass" if found else "fail", message=message)]
