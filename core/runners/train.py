"""Seed step 4: DAPT and/or SFT with LoRA; adapters, checkpoints, the merged export, a report."""

from pathlib import Path
from typing import Any

import peft
import torch
import transformers
import trl

from core import journal
from core.chat_template import DEFAULT_TEMPLATE, has_generation_blocks, load_template
from core.context import RunContext
from core.errors import JobCancelled, JobFailure
from core.prompts import system_prompt
from core.publish import claim_dir
from core.specs.paths import relative, resolve
from core.specs.train import LORA_TARGETS, TrainSpec
from core.training import export
from core.training.callbacks import JobCallback
from core.training.data import load_splits
from core.training.device import resolve_device
from core.training.model import load_model, load_tokenizer
from core.training.phases import Phase, dapt_trainer, latest_checkpoint, sft_trainer, train_phase

OOM_HINT = "Out of GPU memory: lower batch_size, raise grad_accum, lower max_length."


def _template(spec: TrainSpec, workspace: Path, ctx: RunContext) -> tuple[str, bool]:
    """The chat template and whether SFT can mask all but the assistant tokens."""
    path = resolve(workspace, spec.chat_template_path) if spec.chat_template_path else (
        DEFAULT_TEMPLATE)  # fmt: skip
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
    ctx.event("the chat template has no generation blocks: SFT loss covers whole sequences",
              level="warning")  # fmt: skip
    return template, False


def _start(spec: TrainSpec, workspace: Path) -> tuple[str, Path] | None:
    """(phase, checkpoint folder) named by `from_checkpoint`."""
    if not spec.from_checkpoint:
        return None
    job_id, step = spec.from_checkpoint.split(":")
    found = [c for c in journal.list_checkpoints(job_id)
             if c.step == int(step) and c.phase in spec.phases]  # fmt: skip
    found.sort(key=lambda c: spec.phases.index(c.phase))  # at a tie, the later phase
    if not found or not resolve(workspace, found[-1].path).is_dir():
        raise JobFailure("checkpoint_not_found",
                         f"no {'/'.join(spec.phases)} checkpoint {spec.from_checkpoint} on disk",
                         hint="GET /jobs/{id}/checkpoints lists a job's checkpoints.",
                         param="from_checkpoint")  # fmt: skip
    return found[-1].phase, resolve(workspace, found[-1].path)


def _plan(spec: TrainSpec, workspace: Path) -> list[Phase]:
    start = _start(spec, workspace)
    names = ["sft"] if start and start[0] == "sft" else spec.phases  # an SFT checkpoint holds DAPT
    phases = []
    for index, name in enumerate(names):
        output = resolve(workspace, spec.output_of(name))
        source = resolve(workspace, spec.dapt_dir if name == "dapt" else spec.sft_dir)
        splits = (load_splits(source, ".parquet", "text", spec.seed) if name == "dapt"
                  else load_splits(source, ".jsonl", "messages", spec.seed))  # fmt: skip
        resume = latest_checkpoint(output) if spec.resume_from_checkpoint == "auto" else None
        if start and start[0] == name:
            resume = start[1]
        span = (index / len(names), (index + 1) / len(names))
        phases.append(Phase(name, output, splits, span, resume))
    return phases


def run(spec: TrainSpec, ctx: RunContext) -> dict[str, Any]:
    workspace = ctx.workspace
    model_path = resolve(workspace, spec.model_path)
    device = resolve_device(spec, ctx)
    ctx.set_stage("prepare", f"loading the tokenizer and datasets; training on {device.name}",
                  precision=device.precision)  # fmt: skip
    tokenizer = load_tokenizer(model_path)
    template, assistant_only = _template(spec, workspace, ctx)
    tokenizer.chat_template = template
    phases = _plan(spec, workspace)
    for phase in phases:  # refused unless ours to write: never the base model, say
        claim_dir(phase.output_dir, kind=spec.kind)
    report: dict[str, Any] = {"device": device.name, "precision": device.precision,
                              "lora_targets": LORA_TARGETS[spec.lora_scope] if spec.use_lora
                              else None, "phases": {}, "artifacts": {}, "datasets": {}}  # fmt: skip
    adapter = resolve(workspace, spec.output_of("dapt")) if spec.phase == "both" else None
    prompt = system_prompt(model_path)
    model = None
    for phase in phases:
        report["datasets"].update(phase.splits.files)
        ctx.set_stage(phase.name, f"{phase.name}: {len(phase.splits.train)} training rows"
                      + (f", resuming from {phase.resume_from.name}" if phase.resume_from else ""),
                      carved_validation=phase.splits.carved)  # fmt: skip
        model = load_model(model_path, device, spec, adapter if phase.name == "sft" else None)
        callback = JobCallback(ctx, phase.name, phase.span)
        if phase.name == "dapt":
            trainer = dapt_trainer(model, tokenizer, spec, device, phase, callback)
        else:
            trainer = sft_trainer(model, tokenizer, spec, device, phase, callback, assistant_only)
        try:
            report["phases"][phase.name] = train_phase(trainer, phase, ctx)
        except torch.OutOfMemoryError as exc:
            raise JobFailure("out_of_memory", str(exc).split("\n")[0], hint=OOM_HINT) from exc
        if callback.cancelled:
            raise JobCancelled(f"{phase.name} stopped at step {trainer.state.global_step}; "
                               "a checkpoint was saved")  # fmt: skip
        export.save_adapter(trainer, tokenizer, phase.output_dir, prompt)
        kind = "adapter" if spec.use_lora else "model"  # without LoRA the phase saves it whole
        report["artifacts"][f"{phase.name}_{kind}"] = relative(workspace, phase.output_dir)
    if spec.merge_adapter and spec.use_lora and model is not None and "sft" in spec.phases:
        ctx.set_stage("merge", "merging the adapter into the base model")
        merged = resolve(workspace, f"{spec.output_of('sft')}-merged")
        export.save_merged(model, tokenizer, merged, model_path, prompt)
        report["artifacts"]["merged_model"] = relative(workspace, merged)
    report["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__,
                          "peft": peft.__version__, "trl": trl.__version__}  # fmt: skip
    report["datasets"] = {relative(workspace, Path(p)): h for p, h in report["datasets"].items()}
    return report
