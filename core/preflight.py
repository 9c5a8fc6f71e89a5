"""Pre-flight checks of a spec (`POST /jobs?dry_run=true`): fail in seconds, not after hours.

`input_problems` are the checks a submission must pass (the API answers 422 naming the field);
`preflight` runs them and adds what is worth knowing but not blocking.
"""

from pathlib import Path
from typing import Any, Literal, NamedTuple, NotRequired

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from core.config import get_settings
from core.specs import KINDS, BuildDatasetsSpec, SpecBase, TrainSpec
from core.specs.paths import resolve
from core.workers import live_workers

SOURCE_SUFFIXES = (".pdf", ".html", ".htm")


class Check(TypedDict):
    name: str
    status: Literal["pass", "warn", "fail"]
    message: str
    data: NotRequired[dict[str, Any]]  # figures behind the message (a train job's plan)


class InputProblem(NamedTuple):
    param: str  # the spec field at fault
    message: str


def _path(workspace: Path, param: str, relative: str) -> Path | InputProblem:
    try:
        return resolve(workspace, relative)
    except ValueError as exc:
        return InputProblem(param, str(exc))


def _build_datasets_problems(spec: BuildDatasetsSpec, workspace: Path) -> list[InputProblem]:
    problems = []
    if "manifest" in spec.stages:
        source = _path(workspace, "source_dir", spec.source_dir)
        if isinstance(source, InputProblem):
            problems.append(source)
        elif not source.is_dir():
            message = f"{spec.source_dir} is not a folder in the workspace {workspace}"
            problems.append(InputProblem("source_dir", message))
    if "build_dapt" in spec.stages:
        model = _path(workspace, "model_path", spec.model_path)
        if isinstance(model, InputProblem):
            problems.append(model)
        elif not (model / "tokenizer.json").is_file():
            message = f"{spec.model_path} has no tokenizer.json (it cuts the DAPT text into tokens)"
            problems.append(InputProblem("model_path", message))
    for param in ("output_dir", "interim_dir"):
        target = _path(workspace, param, getattr(spec, param))
        if isinstance(target, InputProblem):
            problems.append(target)
    return problems


def _train_problems(spec: TrainSpec, workspace: Path) -> list[InputProblem]:
    allowed = get_settings().allowed_base_models
    if Path(spec.model_path) not in {Path(p) for p in allowed}:
        message = (f"base model policy: {spec.model_path} is not allowed; use "
                   f"{' or '.join(allowed)} (C64FT_ALLOWED_BASE_MODELS)")  # fmt: skip
        return [InputProblem("model_path", message)]
    problems = []
    model = _path(workspace, "model_path", spec.model_path)
    if isinstance(model, InputProblem):
        problems.append(model)
    elif not (model / "config.json").is_file():
        problems.append(InputProblem("model_path", f"{spec.model_path} is not a model folder "
                                     "(no config.json): put the base model there"))  # fmt: skip
    if spec.chat_template_path:
        template = _path(workspace, "chat_template_path", spec.chat_template_path)
        if isinstance(template, InputProblem) or not template.is_file():
            problems.append(InputProblem("chat_template_path",
                                         f"{spec.chat_template_path} is not a file"))  # fmt: skip
    for param in ("dapt_dir", "sft_dir", "output_dir", "dapt_output_dir", "sft_output_dir"):
        target = _path(workspace, param, getattr(spec, param))
        if isinstance(target, InputProblem):
            problems.append(target)
    return problems


def input_problems(spec: SpecBase) -> list[InputProblem]:
    """What is wrong with the spec's inputs in this workspace (paths, files, policy)."""
    workspace = get_settings().workspace
    if isinstance(spec, BuildDatasetsSpec):
        return _build_datasets_problems(spec, workspace)
    if isinstance(spec, TrainSpec):
        return _train_problems(spec, workspace)
    return []


def _source_summary(spec: BuildDatasetsSpec) -> Check | None:
    source = get_settings().workspace / spec.source_dir
    if "manifest" not in spec.stages or not source.is_dir():
        return None
    found = [p for p in source.rglob("*") if p.suffix.lower() in SOURCE_SUFFIXES]
    return Check(
        name="source_files",
        status="pass" if found else "fail",
        message=f"{len(found)} PDF/HTML file(s) under {spec.source_dir}",
    )


def _train_plan(spec: TrainSpec) -> Check:
    from core.train_plan import PlanProblem, plan

    try:
        found = plan(spec, get_settings().workspace)
    except PlanProblem as exc:
        return Check(name="plan", status="fail", message=str(exc))
    steps = ", ".join(f"{p}: {f['optimizer_steps']} optimizer steps"
                      for p, f in found["phases"].items())  # fmt: skip
    return Check(name="plan", status="pass", message=f"datasets readable; {steps}", data=found)


def preflight(spec: SpecBase) -> list[Check]:
    """Every check that can be made without queueing: the spec, its inputs, who would run it."""
    checks = [Check(name="spec", status="pass", message="the spec is valid; defaults filled in")]
    checks += [Check(name=p.param, status="fail", message=p.message) for p in input_problems(spec)]
    if isinstance(spec, BuildDatasetsSpec) and (summary := _source_summary(spec)):
        checks.append(summary)
    if isinstance(spec, TrainSpec) and not any(c["status"] == "fail" for c in checks):
        checks.append(_train_plan(spec))
    queue = KINDS[spec.kind].queue
    workers = live_workers(queue)
    checks.append(
        Check(
            name="workers",
            status="pass" if workers else "warn",
            message=f"{workers} live worker(s) consume queue {queue!r}"
            if workers
            else f"no live worker consumes queue {queue!r}: the job would wait until one starts "
            f"(`c64ft worker --queues {queue}` or `c64ft up`)",
        )
    )
    return checks
