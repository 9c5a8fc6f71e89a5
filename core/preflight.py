"""Pre-flight checks of a spec (`POST /jobs?dry_run=true`): fail in seconds, not after hours.

`input_problems` are the checks a submission must pass (the API answers 422 naming the field);
`preflight` runs them and adds what is worth knowing but not blocking.
"""

from pathlib import Path
from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from core.config import get_settings
from core.fence import InputProblem, output_problems, steps_overlap
from core.jobs.workers import live_workers
from core.specs import (
    KINDS,
    BuildDatasetsSpec,
    SpecBase,
    TrainSpec,
    ValidateReasoningSpec,
    WorkflowSpec,
)
from core.specs.paths import resolve


class Check(TypedDict):
    name: str
    status: Literal["pass", "warn", "fail"]
    message: str
    data: NotRequired[dict[str, Any]]  # figures behind the message (a train job's plan)


def _outside(spec: SpecBase, workspace: Path, params: list[str]) -> list[InputProblem]:
    """The path fields (among `params`, unset ones aside) that lead out of the workspace."""
    problems = []
    for param in params:
        if (value := getattr(spec, param)) is None:
            continue
        try:
            resolve(workspace, value)
        except ValueError as exc:
            problems.append(InputProblem(param, str(exc)))
    return problems


def _build_datasets_problems(spec: BuildDatasetsSpec, workspace: Path) -> list[InputProblem]:
    params = ["output_dir", "interim_dir"]
    params += ["source_dir"] if "manifest" in spec.stages else []
    params += ["model_path"] if "build_dapt" in spec.stages else []
    problems = _outside(spec, workspace, params)
    inside = set(params) - {p.param for p in problems}
    if "source_dir" in inside and not resolve(workspace, spec.source_dir).is_dir():
        message = f"{spec.source_dir} is not a folder in the workspace {workspace}"
        problems.append(InputProblem("source_dir", message))
    model = resolve(workspace, spec.model_path) if "model_path" in inside else None
    if model and not (model / "tokenizer.json").is_file():
        message = f"{spec.model_path} has no tokenizer.json (it cuts the DAPT text into tokens)"
        problems.append(InputProblem("model_path", message))
    return problems


def _train_problems(spec: TrainSpec, workspace: Path) -> list[InputProblem]:
    allowed = get_settings().allowed_base_models
    if Path(spec.model_path) not in {Path(p) for p in allowed}:
        message = (
            f"base model policy: {spec.model_path} is not allowed; use "
            f"{' or '.join(allowed)} (C64FT_ALLOWED_BASE_MODELS)"
        )
        return [InputProblem("model_path", message)]
    params = [
        "model_path",
        "chat_template_path",
        "dapt_dir",
        "sft_dir",
        "output_dir",
        "dapt_output_dir",
        "sft_output_dir",
    ]
    problems = _outside(spec, workspace, params)
    inside = set(params) - {p.param for p in problems}
    model = resolve(workspace, spec.model_path) if "model_path" in inside else None
    if model and not (model / "config.json").is_file():
        problems.append(
            InputProblem(
                "model_path",
                f"{spec.model_path} is not a model folder "
                "(no config.json): put the base model there",
            )
        )
    template = spec.chat_template_path
    if template and "chat_template_path" in inside and not resolve(workspace, template).is_file():
        problems.append(InputProblem("chat_template_path", f"{template} is not a file"))
    return problems


def _validate_problems(
    spec: ValidateReasoningSpec, workspace: Path, produced: set[str]
) -> list[InputProblem]:
    """Paths in the workspace; the model (and adapter) on disk unless an earlier step makes it."""
    params = ["model_path", "adapter_path", "chat_template_path", "output_dir"]
    problems = _outside(spec, workspace, params)
    inside = set(params) - {p.param for p in problems}
    needed = {
        "model_path": "config.json",
        "adapter_path": "adapter_config.json",
        "chat_template_path": None,
    }
    for param, marker in needed.items():
        value = getattr(spec, param)
        if value is None or param not in inside or value in produced:
            continue
        path = resolve(workspace, value)
        if not (path / marker if marker else path).is_file():
            what = f"has no {marker}" if marker else "is not a file"
            problems.append(InputProblem(param, f"{value} {what} in the workspace {workspace}"))
    return problems


def _workflow_problems(spec: WorkflowSpec, workspace: Path) -> list[InputProblem]:
    """Each step's problems, named `<step>.<field>`; what an earlier step makes is not missing;
    no step writes over another step's output."""
    produced = {p for p in spec.train.exported_model() if p} if spec.train else set()
    problems: list[InputProblem] = []
    written: list[tuple[str, str]] = []
    for step in spec.step_specs():
        found = _kind_problems(step, workspace, produced)
        found += output_problems(step, workspace, get_settings())
        for param, value in step.outputs():
            if clash := steps_overlap(workspace, value, written):
                found.append(InputProblem(param, f"output {value}: {clash}"))
        written += [(step.kind, value) for _param, value in step.outputs()]
        problems += [InputProblem(f"{step.kind}.{p.param}", p.message) for p in found]
    return problems


def _kind_problems(
    spec: SpecBase, workspace: Path, produced: set[str] | None = None
) -> list[InputProblem]:
    """The inputs' and policy's problems of one job (`produced`: made by an earlier step)."""
    if isinstance(spec, BuildDatasetsSpec):
        return _build_datasets_problems(spec, workspace)
    if isinstance(spec, TrainSpec):
        return _train_problems(spec, workspace)
    if isinstance(spec, ValidateReasoningSpec):
        return _validate_problems(spec, workspace, produced or set())
    return []


def input_problems(spec: SpecBase) -> list[InputProblem]:
    """What is wrong with the spec's paths in this workspace (inputs, outputs, policy)."""
    workspace = get_settings().workspace
    if isinstance(spec, WorkflowSpec):
        return _workflow_problems(spec, workspace)
    problems = _kind_problems(spec, workspace)
    return problems + output_problems(spec, workspace, get_settings())


def _source_summary(spec: BuildDatasetsSpec) -> Check | None:
    from core.pipeline.manifest import source_files  # the manifest stage's own walk

    workspace = get_settings().workspace
    source = workspace / spec.source_dir
    if "manifest" not in spec.stages or not source.is_dir():
        return None
    found, outside = source_files(source, workspace)
    skipped = f"; {len(outside)} link(s) out of the workspace skipped" if outside else ""
    return Check(
        name="source_files",
        status="pass" if found else "fail",
        message=f"{len(found)} PDF/HTML file(s) under {spec.source_dir}{skipped}",
    )


def _train_plan(spec: TrainSpec) -> Check:
    from core.train_plan import PlanProblem, plan

    try:
        found = plan(spec, get_settings().workspace)
    except PlanProblem as exc:
        return Check(name="plan", status="fail", message=str(exc))
    steps = ", ".join(
        f"{p}: {f['optimizer_steps']} optimizer steps" for p, f in found["phases"].items()
    )
    return Check(name="plan", status="pass", message=f"datasets readable; {steps}", data=found)


def preflight(spec: SpecBase) -> list[Check]:
    """Every check that can be made without queueing: the spec, its inputs, who would run it."""
    checks = [Check(name="spec", status="pass", message="the spec is valid; defaults filled in")]
    checks += [Check(name=p.param, status="fail", message=p.message) for p in input_problems(spec)]
    steps = spec.step_specs() if isinstance(spec, WorkflowSpec) else [spec]
    built = any(isinstance(step, BuildDatasetsSpec) for step in steps)  # no datasets yet
    failed = any(c["status"] == "fail" for c in checks)
    for step in steps:
        prefix = f"{step.kind}." if step is not spec else ""
        for check in _step_checks(step, failed, built):
            checks.append(check | {"name": prefix + check["name"]})  # type: ignore[typeddict-item]
    return checks


def _step_checks(spec: SpecBase, failed: bool, built: bool) -> list[Check]:
    """What is worth knowing about one job: its inputs' figures and who would run it."""
    checks = []
    if isinstance(spec, BuildDatasetsSpec) and (summary := _source_summary(spec)):
        checks.append(summary)
    if isinstance(spec, TrainSpec) and built:
        message = "the build_datasets step makes the datasets first"
        checks.append(Check(name="plan", status="pass", message=message))
    elif isinstance(spec, TrainSpec) and not failed:
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
