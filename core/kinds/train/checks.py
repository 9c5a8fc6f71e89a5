"""What a train submission must pass (the base-model policy, paths), and its dry-run plan."""

from pathlib import Path

from core.config import get_settings
from core.fence import InputProblem
from core.kinds.base import Check, outside
from core.kinds.train import trackers
from core.kinds.train.spec import TrainSpec
from core.kinds.train.speed import speed_checks
from core.specs.paths import resolve_input

PATHS = ["model_path", "chat_template_path", "dapt_dir", "sft_dir", "output_dir"]
PATHS += ["dapt_output_dir", "sft_output_dir"]


def problems(spec: TrainSpec, workspace: Path, _produced: set[str]) -> list[InputProblem]:
    allowed = get_settings().allowed_base_models
    if Path(spec.model_path) not in {Path(p) for p in allowed}:
        message = (
            f"base model policy: {spec.model_path} is not allowed; use "
            f"{' or '.join(allowed)} (C64FT_ALLOWED_BASE_MODELS)"
        )
        return [InputProblem("model_path", message)]
    found = outside(spec, workspace, PATHS)
    inside = set(PATHS) - {p.param for p in found}
    model = resolve_input(workspace, spec.model_path) if "model_path" in inside else None
    if model and not (model / "config.json").is_file():
        message = (
            f"{spec.model_path} is not a model folder (no config.json): put the base model there"
        )
        found.append(InputProblem("model_path", message))
    template = spec.chat_template_path
    if (
        template
        and "chat_template_path" in inside
        and not resolve_input(workspace, template).is_file()
    ):
        found.append(InputProblem("chat_template_path", f"{template} is not a file"))
    return found


def notes(spec: TrainSpec, workspace: Path, failed: bool, produced: set[str]) -> list[Check]:
    """Whether the trackers' and the speed options' packages are installed, and the plan."""
    found = tracker_checks(spec) + speed_checks(spec)
    return found + _plan_notes(spec, workspace, failed, produced)


def tracker_checks(spec: TrainSpec) -> list[Check]:
    """A warning, not a failure, when a tracker's package is missing: the check runs where the
    dry run does (the API), which need not be where the job runs (a worker), and the job fails
    at its start on a worker without it."""
    chosen = trackers.chosen(spec.report_to)
    if not chosen:
        return []
    if problem := trackers.missing(chosen):
        return [Check(name="report_to", status="warn", message=problem)]
    message = f"report_to {', '.join(chosen)}: installed here"
    return [Check(name="report_to", status="pass", message=message)]


def _plan_notes(spec: TrainSpec, workspace: Path, failed: bool, produced: set[str]) -> list[Check]:
    """The plan: rows, tokens and optimizer steps per phase, from the tokenizer and datasets."""
    datasets = [Path(folder) for folder in (spec.dapt_dir, spec.sft_dir)]
    if any(d.is_relative_to(made) for d in datasets for made in produced):
        message = "the build_datasets step makes the datasets first"
        return [Check(name="plan", status="pass", message=message)]
    if failed:
        return []
    from core.kinds.train.plan import PlanProblem, plan

    try:
        found = plan(spec, workspace)
    except PlanProblem as exc:
        return [Check(name="plan", status="fail", message=str(exc))]
    steps = ", ".join(
        f"{p}: {f['optimizer_steps']} optimizer steps" for p, f in found["phases"].items()
    )
    message = f"datasets readable; {steps}; effective batch {found['effective_batch_size']}"
    if spec.gpus > 1:
        message += f" ({spec.gpus} processes, {spec.distributed})"
    return [Check(name="plan", status="pass", message=message, data=found)]
