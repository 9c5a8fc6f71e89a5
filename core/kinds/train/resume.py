"""Where a train job starts: a checkpoint named by `from_checkpoint`, or the newest complete one
in a phase's own output folder."""

from pathlib import Path

from core.context import RunContext
from core.errors import JobFailure
from core.kinds.train.spec import TrainSpec
from core.publish import check_writable
from core.specs.paths import resolve_field
from core.training import export
from core.training.checkpoints import latest_checkpoint, problem


def start_point(spec: TrainSpec, ctx: RunContext) -> tuple[str, Path] | None:
    """(phase, checkpoint folder) named by `from_checkpoint`."""
    if not spec.from_checkpoint:
        return None
    job_id, step = spec.from_checkpoint.split(":")
    found = [
        (phase, path)
        for phase, saved_step, path in ctx.saved_checkpoints(job_id)
        if saved_step == int(step) and phase in spec.phases
    ]
    found.sort(key=lambda c: spec.phases.index(c[0]))  # at a tie, the later phase
    if not found or not resolve_field(ctx.workspace, "from_checkpoint", found[-1][1]).is_dir():
        raise JobFailure(
            "checkpoint_not_found",
            f"no {'/'.join(spec.phases)} checkpoint {spec.from_checkpoint} on disk",
            hint="GET /jobs/{id}/checkpoints lists a job's checkpoints.",
            param="from_checkpoint",
        )
    phase, path = found[-1]
    folder = resolve_field(ctx.workspace, "from_checkpoint", path)
    reason = problem(folder)
    if reason:  # its save was cut short: the Trainer would fail on it, or resume from half of it
        raise JobFailure(
            "checkpoint_incomplete",
            f"checkpoint {spec.from_checkpoint} ({path}) is incomplete: {reason}",
            hint="Start from an earlier step that GET /jobs/{id}/checkpoints lists.",
            param="from_checkpoint",
        )
    return phase, folder


def resume_point(spec: TrainSpec, output: Path, ctx: RunContext) -> Path | None:
    """The newest complete checkpoint in a phase's output folder, once the leftovers of an
    interrupted run (save_adapter's staging folders, incomplete checkpoints) are out of the way."""
    check_writable(output, kind=spec.kind)  # nothing is moved in a folder that is not ours
    if output.is_dir() and (removed := export.clean_staging(output)):
        ctx.event(
            f"removed {len(removed)} staging folder(s) an interrupted save left",
            data={"folders": removed},
        )
    return latest_checkpoint(output, ctx) if spec.resume_from_checkpoint == "auto" else None
