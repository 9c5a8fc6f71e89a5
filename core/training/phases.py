"""One training phase: DAPT (causal LM on chunk text) or SFT (TRL on chat messages)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets import Dataset
from transformers import (
    DataCollatorForLanguageModeling,
    DataCollatorWithFlattening,
    PrinterCallback,
    Trainer,
    TrainingArguments,
)
from trl import SFTConfig, SFTTrainer

from core.context import RunContext
from core.errors import JobFailure
from core.kinds.train import trackers
from core.kinds.train.spec import TrainSpec
from core.specs.paths import relative
from core.training import distributed
from core.training.callbacks import JobCallback
from core.training.checkpoints import trainer_state
from core.training.data import Splits
from core.training.device import Device


@dataclass
class Phase:
    name: str  # "dapt" or "sft"
    output_dir: Path
    splits: Splits
    span: tuple[float, float]  # share of the job's progress this phase covers
    resume_from: Path | None  # a checkpoint to continue from
    complete: bool = False  # resume_from already holds every step: nothing is left to train


def arguments(spec: TrainSpec, device: Device, phase: Phase) -> dict[str, Any]:
    """TrainingArguments fields shared by both phases, from the spec's flags."""
    evaluate = phase.splits.validation is not None and spec.eval_strategy != "no"
    best = spec.load_best_model_at_end and evaluate  # the spec checked the rest of what HF needs
    return {
        "output_dir": str(phase.output_dir),
        "per_device_train_batch_size": spec.batch_size,
        "per_device_eval_batch_size": spec.batch_size,
        "gradient_accumulation_steps": spec.grad_accum,
        "learning_rate": spec.learning_rate,
        "num_train_epochs": spec.epochs,
        "max_steps": spec.max_steps,
        "warmup_steps": spec.warmup_steps,
        "logging_steps": spec.logging_steps,
        "save_strategy": "steps",
        "save_steps": spec.save_steps,
        "save_total_limit": spec.save_total_limit,
        "load_best_model_at_end": best,
        "metric_for_best_model": "eval_loss" if best else None,
        "greater_is_better": False if best else None,
        "eval_strategy": spec.eval_strategy if evaluate else "no",
        "eval_steps": spec.eval_steps,
        "seed": spec.seed,
        "optim": spec.optim,
        "activation_checkpointing": spec.gradient_checkpointing,
        "bf16": device.precision == "bf16",
        "fp16": device.precision == "fp16",
        "use_cpu": device.name == "cpu",
        "report_to": trackers.chosen(spec.report_to),  # TensorBoard: <output_dir>/runs/<time>
        "disable_tqdm": True,
        "include_num_input_tokens_seen": True,
        "dataloader_num_workers": 0,
        "torch_compile": spec.torch_compile,
        **parallel_arguments(spec),
    }


def parallel_arguments(spec: TrainSpec) -> dict[str, Any]:
    """In a process group: its backend, and for FSDP the sharding; each checkpoint keeps the
    whole model (a full state dict), so it resumes and exports as one process's does."""
    if distributed.world_size() == 1:
        return {}
    found: dict[str, Any] = {"ddp_backend": distributed.backend()}
    if spec.distributed == "fsdp":
        found["fsdp"] = "full_shard auto_wrap"
        found["fsdp_config"] = {"state_dict_type": "FULL_STATE_DICT"}
    return found


def dapt_trainer(model, tokenizer, spec, device, phase: Phase, callback: JobCallback) -> Trainer:
    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=spec.max_length)

    def prepare(dataset):
        return dataset.map(tokenize, batched=True, remove_columns=["text"]) if dataset else None

    return Trainer(
        model=model,
        args=TrainingArguments(**arguments(spec, device, phase)),
        train_dataset=prepare(phase.splits.train),
        eval_dataset=prepare(phase.splits.validation),
        data_collator=dapt_collator(tokenizer, spec),
        processing_class=tokenizer,
        callbacks=[callback],
    )


def dapt_collator(tokenizer, spec: TrainSpec):
    """Padded batches, or with packing one row per batch: the chunks back to back, position ids
    restarting at each (the attention stays within a chunk) and no label across a boundary."""
    if spec.packing:
        flash = spec.attn_implementation == "flash_attention_2"  # its varlen boundaries, given
        return DataCollatorWithFlattening(
            return_position_ids=True, separator_id=-100, return_flash_attn_kwargs=flash
        )
    return DataCollatorForLanguageModeling(tokenizer, mlm=False)


def packing_arguments(spec: TrainSpec) -> dict[str, Any]:
    """SFTConfig's packing fields: TRL's best-fit-decreasing packing into sequences of up to
    max_length tokens, padding-free (one row per batch, position ids restarting at each example
    and no attention mask, so transformers' masking keeps each example to itself)."""
    if not spec.packing:
        return {"packing": False}
    return {"packing": True, "packing_strategy": "bfd", "padding_free": True}


def sft_trainer(
    model, tokenizer, spec, device, phase: Phase, callback: JobCallback, assistant_only: bool
) -> SFTTrainer:
    config = SFTConfig(
        **arguments(spec, device, phase),
        assistant_only_loss=assistant_only,
        max_length=spec.max_length,
        **packing_arguments(spec),
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=phase.splits.train,
        eval_dataset=phase.splits.validation,
        processing_class=tokenizer,
        callbacks=[callback],
    )
    kept = trainer.train_dataset  # after TRL's tokenizing, truncating and dropping
    if isinstance(kept, Dataset) and not len(kept):  # every example dropped: none to supervise
        raise JobFailure(
            "dataset_invalid",
            f"no SFT training example keeps an assistant token within max_length "
            f"{spec.max_length}: every one was cut before its first answer",
            hint="Raise max_length, or build the datasets with a smaller excerpt_chars or "
            "answer_chars.",
            param="max_length",
        )
    return trainer


def train_phase(trainer: Trainer, phase: Phase, ctx: RunContext) -> dict[str, Any]:
    """Train (from `phase.resume_from` when set) and return the phase's figures."""
    trainer.remove_callback(PrinterCallback)  # logs go to the job's metrics, not to stdout
    output = trainer.train(
        resume_from_checkpoint=str(phase.resume_from) if phase.resume_from else None
    )
    state = trainer.state
    evals = [h["eval_loss"] for h in state.log_history if "eval_loss" in h]
    losses = [h["loss"] for h in state.log_history if "loss" in h]
    runtime = output.metrics.get("train_runtime") or 0.0
    tokens = int(getattr(state, "num_input_tokens_seen", 0) or 0)
    # the Trainer's own test for loading the best checkpoint's weights at the end of train()
    loaded = trainer.args.load_best_model_at_end and state.best_model_checkpoint is not None
    return {
        "steps": state.global_step,
        "max_steps": state.max_steps,
        "final_train_loss": losses[-1] if losses else None,
        "final_eval_loss": evals[-1] if evals else None,
        "tokens_seen": tokens,
        "runtime_s": round(runtime, 3),
        "tokens_per_second": round(tokens / runtime, 1) if runtime else None,
        "resumed_from": str(phase.resume_from) if phase.resume_from else None,
        "already_complete": False,
        **best_figures(state.log_history, state.best_model_checkpoint if loaded else None, ctx),
    }


def best_figures(
    history: list[dict[str, Any]], best: str | None, ctx: RunContext
) -> dict[str, Any]:
    """Which weights a phase's output holds: those of `best`, its best checkpoint by eval loss,
    or (None) the last step's, and whether there was any evaluation at all."""
    figures: dict[str, Any] = {
        "evaluated": any("eval_loss" in h for h in history),
        "weights": "best" if best else "last",
        "best_step": None,
        "best_eval_loss": None,
        "best_checkpoint": None,
    }
    if best:
        step = int(Path(best).name.removeprefix("checkpoint-"))
        losses = [h["eval_loss"] for h in history if "eval_loss" in h and h.get("step") == step]
        figures |= {
            "best_step": step,
            "best_eval_loss": losses[-1] if losses else None,
            "best_checkpoint": relative(ctx.workspace, Path(best)),
        }
    return figures


def best_checkpoint(checkpoint: Path) -> Path | None:
    """The best checkpoint a complete checkpoint's state names, when it is still on disk."""
    best = trainer_state(checkpoint).get("best_model_checkpoint")
    return Path(best) if best and Path(best).is_dir() else None


def kept_figures(phase: Phase, best: Path | None, ctx: RunContext) -> dict[str, Any]:
    """The figures of a phase that was already complete, from its last checkpoint's state;
    `best` is the checkpoint its output holds when not the last."""
    assert phase.resume_from is not None
    state = trainer_state(phase.resume_from)
    history = state.get("log_history") or []
    evals = [h["eval_loss"] for h in history if "eval_loss" in h]
    losses = [h["loss"] for h in history if "loss" in h]
    return {
        "steps": state.get("global_step"),
        "max_steps": state.get("max_steps"),
        "final_train_loss": losses[-1] if losses else None,
        "final_eval_loss": evals[-1] if evals else None,
        "tokens_seen": int(state.get("num_input_tokens_seen") or 0),
        "runtime_s": 0.0,
        "tokens_per_second": None,
        "resumed_from": str(phase.resume_from),
        "already_complete": True,
        **best_figures(history, str(best) if best else None, ctx),
    }
