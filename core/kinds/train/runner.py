"""Seed step 4: DAPT and/or SFT with LoRA; adapters, checkpoints, the merged export, a report."""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peft
import torch
import transformers
import trl
from transformers import AutoConfig

from core.chat_template import DEFAULT_TEMPLATE, has_generation_blocks, load_template
from core.context import RunContext
from core.errors import JobCancelled, JobFailure
from core.kinds.train import trackers
from core.kinds.train.estimate import estimate_memory, read_shape
from core.kinds.train.plan import effective_batch_size, optimizer_steps
from core.kinds.train.relay import RankContext, stop_signal
from core.kinds.train.resume import resume_point, start_point
from core.kinds.train.spec import EVAL_SHARE, LORA_TARGETS, TrainSpec
from core.metrics_csv import FILE_NAME, write_csv
from core.pipeline.build_marker import check_same_build
from core.prompts import system_prompt
from core.publish import claim_dir
from core.specs.paths import relative, resolve, resolve_input
from core.training import distributed, export
from core.training.callbacks import JobCallback
from core.training.checkpoints import reached_end
from core.training.compile import compile_errors, compile_failure
from core.training.data import Splits, load_splits
from core.training.device import Device, gpu_memory, resolve_device
from core.training.liger import apply_liger, check_available
from core.training.model import check_attention, load_model, load_pretrained_tokenizer
from core.training.phases import (
    Phase,
    best_checkpoint,
    dapt_trainer,
    kept_figures,
    sft_trainer,
    train_phase,
)

GIB = 1 << 30
OOM_HINT = "Out of GPU memory: lower batch_size, raise grad_accum, lower max_length."


def _template(spec: TrainSpec, workspace: Path, ctx: RunContext) -> tuple[str, bool]:
    """The chat template and whether SFT can mask all but the assistant tokens."""
    path = (
        resolve_input(workspace, spec.chat_template_path)
        if spec.chat_template_path
        else DEFAULT_TEMPLATE
    )
    template = load_template(path)
    if not spec.assistant_only_loss or has_generation_blocks(template):
        return template, spec.assistant_only_loss
    if spec.strict_assistant_only_loss and "sft" in spec.phases:
        raise JobFailure(
            "chat_template_invalid",
            f"{path} has no {{% generation %}} blocks: assistant-only loss cannot mark the "
            "assistant tokens",
            hint="Use the project's template (leave chat_template_path unset), add generation "
            "blocks around the assistant content, or set strict_assistant_only_loss: false.",
            param="chat_template_path",
        )
    ctx.event(
        "the chat template has no generation blocks: SFT loss covers whole sequences",
        level="warning",
    )
    return template, False


def _plan(spec: TrainSpec, workspace: Path, ctx: RunContext) -> list[Phase]:
    if spec.phase == "both":  # one build's DAPT and SFT, wherever the two folders are
        check_same_build(
            resolve_input(workspace, spec.dapt_dir), resolve_input(workspace, spec.sft_dir)
        )
    start = start_point(spec, ctx)
    names = ["sft"] if start and start[0] == "sft" else spec.phases  # an SFT checkpoint holds DAPT
    phases = []
    for name in names:
        output = resolve(workspace, spec.output_of(name))
        source = resolve_input(workspace, spec.dapt_dir if name == "dapt" else spec.sft_dir)
        suffix, column = (".parquet", "text") if name == "dapt" else (".jsonl", "messages")
        splits = load_splits(source, suffix, column, spec.seed, spec.eval_strategy != "no")
        _say_how_evaluated(name, relative(workspace, source), splits, spec, ctx)
        resume = resume_point(spec, output, ctx)
        if start and start[0] == name:
            resume = start[1]
        complete = resume is not None and reached_end(resume, spec.max_steps, spec.epochs)
        phases.append(Phase(name, output, splits, (0.0, 1.0), resume, complete))
    planned = [optimizer_steps(spec, len(p.splits.train)) for p in phases]
    for phase, span in zip(phases, progress_spans(planned), strict=True):
        phase.span = span
    return phases


def _say_how_evaluated(
    phase: str, folder: str, splits: Splits, spec: TrainSpec, ctx: RunContext
) -> None:
    """An event when the validation split is not the dataset's own: carved, or none at all."""
    if splits.validation is None and spec.eval_strategy != "no":
        ctx.event(
            f"{folder} has no validation split and one training row: {phase} is not evaluated",
            level="warning",
            data={"phase": phase, "validation_rows": 0},
        )
    elif splits.carved and splits.validation is not None:
        carved = len(splits.validation)
        ctx.event(
            f"{folder} has no validation split: {carved} of its {carved + len(splits.train)} "
            f"training rows ({EVAL_SHARE:.0%}, seed {spec.seed}) are set aside to evaluate {phase}",
            data={"phase": phase, "validation_rows": carved, "carved_from_train": True},
        )


def progress_spans(steps: list[int]) -> list[tuple[float, float]]:
    """Each phase's share of the job's progress, in proportion to its planned optimizer steps:
    with equal halves, a short DAPT before a long SFT would make the ETA far too optimistic."""
    total, done, spans = sum(steps), 0, []
    for count in steps:
        spans.append((done / total, (done + count) / total))
        done += count
    return spans


@dataclass
class _Outputs:
    """What loading a model and writing a phase's outputs need, shared by every phase."""

    spec: TrainSpec
    model_path: Path
    device: Device
    tokenizer: Any
    prompt: str

    def load(self, start: Path | None, resume: Path | None):
        return load_model(self.model_path, self.device, self.spec, start, resume)

    def save_phase(self, save, output_dir: Path) -> None:
        export.save_adapter(save, self.tokenizer, output_dir, self.prompt)

    def save_merged(self, model, target: Path) -> None:
        export.save_merged(model, self.tokenizer, target, self.model_path, self.prompt)


def _final_weights(trainer, figures: dict[str, Any], outputs: _Outputs):
    """What writes a phase's output: the trainer's model (with LoRA the Trainer has loaded the
    best checkpoint's adapter into it), or without LoRA the best checkpoint loaded by name: the
    Trainer loads a whole model's best state dict by its in-memory names, which transformers 5
    saves under other ones, so nothing would match and the last step's weights would stay."""
    sharded = outputs.spec.distributed == "fsdp" and distributed.world_size() > 1
    if outputs.spec.use_lora or (figures["weights"] != "best" and not sharded):
        return trainer.save_model
    # under FSDP, save_model is a collective of every rank; the checkpoints hold whole models
    last = Path(trainer.args.output_dir) / f"checkpoint-{trainer.state.global_step}"
    source = Path(trainer.state.best_model_checkpoint) if figures["weights"] == "best" else last
    return outputs.load(source, source).save_pretrained


def _keep(phase: Phase, outputs: _Outputs, ctx: RunContext) -> dict[str, Any]:
    """A phase whose checkpoint already holds every step: nothing is trained and its output is
    kept as it is, or written from that checkpoint when the save after training never ran."""
    assert phase.resume_from is not None
    best = best_checkpoint(phase.resume_from) if outputs.spec.load_best_model_at_end else None
    figures = kept_figures(phase, best, ctx)
    if distributed.is_main() and not export.is_exported(phase.output_dir, phase.resume_from):
        source = best or phase.resume_from  # what train() would have left in the model
        model = outputs.load(source, source)
        outputs.save_phase(model.save_pretrained, phase.output_dir)
        figures["exported_from_checkpoint"] = True
    where = relative(ctx.workspace, phase.output_dir)
    ctx.event(
        f"{phase.name} was already complete at step {figures['steps']} "
        f"({phase.resume_from.name}): nothing to train, {where} is kept. To train on, "
        "raise max_steps or epochs; to train again from the start, choose a new "
        "output_dir.",
        data={"phase": phase.name, "steps": figures["steps"]},
    )
    return figures


def _merge(sft: Phase, model, merged: Path, outputs: _Outputs, ctx: RunContext) -> None:
    """Merge the SFT adapter into the base model, unless SFT was already complete and its merged
    model is there: a re-run keeps it rather than rewrite it."""
    if sft.complete and sft.resume_from and export.is_exported(merged, sft.resume_from):
        ctx.event(f"{merged.name} is kept: it was merged from this SFT adapter")
        return
    ctx.set_stage("merge", "merging the adapter into the base model")
    outputs.save_merged(model if model is not None else outputs.load(sft.output_dir, None), merged)


def _check_trackers(spec: TrainSpec) -> list[str]:
    """The trackers to report to; a missing package fails the job before any work."""
    chosen = trackers.chosen(spec.report_to)
    if problem := trackers.missing(chosen):
        hint = "Install the tracker's package where the job runs, or set report_to none."
        raise JobFailure("tracker_missing", problem, hint=hint, param="report_to")
    return chosen


def _write_metrics(spec: TrainSpec, ctx: RunContext, callbacks: list[JobCallback]) -> str | None:
    """The job's metric points as `metrics.csv` in its tracking folder; with the job database,
    the same rows as `GET /jobs/{id}/metrics.csv`. A run that trained nothing (every phase
    already complete) keeps the file of the run that did. Returns its path in the workspace."""
    path = resolve(ctx.workspace, spec.tracking_dir()) / FILE_NAME
    if callbacks:
        write_csv(path, ctx.metric_rows([point for c in callbacks for point in c.recorded]))
    return relative(ctx.workspace, path) if path.is_file() else None


def _trackers_report(
    chosen: list[str], where: dict[str, str], phases: list[Phase], workspace: Path
) -> dict[str, Any]:
    """Where each tracker wrote: TensorBoard in each trained phase's output folder, unless the
    worker's TENSORBOARD_LOGGING_DIR says where."""
    places: dict[str, Any] = {
        name: place if place.startswith("$") else relative(workspace, Path(place))
        for name, place in where.items()
    }
    if "tensorboard" in chosen and "TENSORBOARD_LOGGING_DIR" in os.environ:
        places["tensorboard"] = "$TENSORBOARD_LOGGING_DIR"
    elif "tensorboard" in chosen:
        places["tensorboard"] = [
            relative(workspace, p.output_dir / trackers.TENSORBOARD_FOLDER)
            for p in phases
            if not p.complete
        ]
    return places


def _train_phases(
    phases: list[Phase],
    outputs: _Outputs,
    adapter: Path | None,
    assistant_only: bool,
    report: dict[str, Any],
    ctx: RunContext,
) -> tuple[Any, list[JobCallback]]:
    """Train each phase in turn (keep a complete one), its figures and output into `report`.
    Returns the last model trained and each phase's callback, with the points it recorded.
    In a process group every rank trains; rank 0 alone writes the outputs, the others wait for
    it at the end of each phase (SFT after DAPT starts from the DAPT output)."""
    spec, device, tokenizer = outputs.spec, outputs.device, outputs.tokenizer
    model, callbacks = None, []
    for phase in phases:
        report["datasets"].update(phase.splits.files)
        ctx.set_stage(
            phase.name,
            f"{phase.name}: {len(phase.splits.train)} training rows"
            + (f", resuming from {phase.resume_from.name}" if phase.resume_from else ""),
            carved_validation=phase.splits.carved,
        )
        kind = "adapter" if spec.use_lora else "model"  # without LoRA the phase saves it whole
        report["artifacts"][f"{phase.name}_{kind}"] = relative(ctx.workspace, phase.output_dir)
        if phase.complete:  # the Trainer would take a step past the end, from the wrong weights
            report["phases"][phase.name], model = _keep(phase, outputs, ctx), None
            distributed.barrier()
            continue
        model = outputs.load(adapter if phase.name == "sft" else None, phase.resume_from)
        if spec.use_liger_kernel:  # DAPT's loss too; TRL's SFT loss never builds the logits
            fused = phase.name == "dapt"
            report["liger_kernels"][phase.name] = apply_liger(model, fused_loss=fused)
        callback = JobCallback(ctx, phase.name, phase.span, stop_signal(ctx))
        callbacks.append(callback)
        if phase.name == "dapt":
            trainer = dapt_trainer(model, tokenizer, spec, device, phase, callback)
        else:
            trainer = sft_trainer(model, tokenizer, spec, device, phase, callback, assistant_only)
        try:
            report["phases"][phase.name] = train_phase(trainer, phase, ctx)
        except torch.OutOfMemoryError as exc:
            raise JobFailure("out_of_memory", str(exc).split("\n")[0], hint=OOM_HINT) from exc
        except compile_errors() as exc:  # only torch.compile raises these (torch_compile)
            raise compile_failure(exc) from exc
        if callback.cancelled:
            if distributed.is_main():
                _write_metrics(spec, ctx, callbacks)  # the points up to the cancel
            raise JobCancelled(
                f"{phase.name} stopped at step {trainer.state.global_step}; a checkpoint was saved"
            )
        if distributed.is_main():
            figures = report["phases"][phase.name]
            outputs.save_phase(_final_weights(trainer, figures, outputs), phase.output_dir)
        distributed.barrier()
    return model, callbacks


def run(spec: TrainSpec, ctx: RunContext) -> dict[str, Any]:
    """Train in this process, or with `gpus` above 1 in a torchrun process group that this
    process launches and follows (`core.kinds.train.launch`)."""
    if spec.gpus > 1 and not isinstance(ctx, RankContext):
        from core.kinds.train.launch import run_ranks

        return run_ranks(spec, ctx)
    return train(spec, ctx)


def _predict_memory(spec: TrainSpec, model_path: Path, device: Device, ctx: RunContext) -> None:
    """The dry run's memory estimate, in the event log against this GPU: a spec that the
    estimate says will not fit is warned about before the hours it would run."""
    try:
        estimate = estimate_memory(read_shape(model_path), spec, precision=device.precision)
    except ValueError:  # an unreadable config.json: loading the model says why
        return
    said = f"estimated peak memory {estimate.total / GIB:.1f} GiB per process"
    card = gpu_memory()
    if card is None:
        ctx.event(f"{said}, in {device.precision} on the CPU", data=estimate.as_dict())
        return
    name, total = card
    fits = estimate.total <= total
    message = f"{said}; {name} has {total / GIB:.1f} GiB" + (
        ""
        if fits
        else ": predicted not to fit (lower batch_size and raise grad_accum, or enable "
        "gradient_checkpointing; the dry run's memory check says which batch_size fits)"
    )
    ctx.event(message, level="info" if fits else "warning", data=estimate.as_dict())


def train(spec: TrainSpec, ctx: RunContext) -> dict[str, Any]:
    """Train in this process: alone, or as one rank of a process group (which it has joined)."""
    workspace = ctx.workspace
    chosen = _check_trackers(spec)
    model_path = resolve_input(workspace, spec.model_path)
    device = resolve_device(spec, ctx)
    check_attention(spec, device)  # before the datasets load
    if spec.use_liger_kernel:  # before any work: the package, a GPU, a tower Liger fits
        check_available(AutoConfig.from_pretrained(model_path).get_text_config())
    ctx.set_stage(
        "prepare",
        f"loading the tokenizer and datasets; training on {device.name}",
        precision=device.precision,
    )
    _predict_memory(spec, model_path, device, ctx)
    tokenizer = load_pretrained_tokenizer(model_path)
    template, assistant_only = _template(spec, workspace, ctx)
    tokenizer.chat_template = template
    with distributed.main_first():  # rank 0 tidies the output folders up before the others look
        phases = _plan(spec, workspace, ctx)
        for phase in phases:  # made and marked once the datasets are checked
            claim_dir(phase.output_dir, kind=spec.kind)
    report: dict[str, Any] = {
        "device": device.name,
        "precision": device.precision,
        "lora_targets": LORA_TARGETS[spec.lora_scope] if spec.use_lora else None,
        "processes": distributed.world_size(),
        "distributed": spec.distributed if distributed.world_size() > 1 else None,
        "effective_batch_size": effective_batch_size(spec),
        "torch_compile": spec.torch_compile,
        "liger_kernels": {},  # phase: Liger's kernels patched in (use_liger_kernel)
        "phases": {},
        "artifacts": {},
        "datasets": {},
    }
    adapter = resolve(workspace, spec.output_of("dapt")) if spec.phase == "both" else None
    outputs = _Outputs(spec, model_path, device, tokenizer, system_prompt(model_path))
    tracking = resolve(workspace, spec.tracking_dir())
    with trackers.environment(chosen, tracking) as where:
        model, callbacks = _train_phases(phases, outputs, adapter, assistant_only, report, ctx)
    if not distributed.is_main():
        return report  # rank 0 writes the rest, and its report is the job's result
    report["metrics_csv"] = _write_metrics(spec, ctx, callbacks)
    if chosen:
        report["trackers"] = _trackers_report(chosen, where, phases, workspace)
    if spec.merge_adapter and spec.use_lora and "sft" in spec.phases:
        merged = resolve(workspace, spec.merged_dir())
        _merge(phases[-1], model, merged, outputs, ctx)
        report["artifacts"]["merged_model"] = relative(workspace, merged)
    report["versions"] = {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "trl": trl.__version__,
    }
    report["datasets"] = {relative(workspace, Path(p)): h for p, h in report["datasets"].items()}
    return report
