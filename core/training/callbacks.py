"""The bridge from a Hugging Face trainer to the job: metrics, progress, checkpoints, cancel."""

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from core.context import RunContext
from core.specs.paths import relative
from core.training import distributed

METRIC_FLUSH_S = 5.0  # metric rows are written in batches, at most this often


class JobCallback(TrainerCallback):
    """Records each log as a metric row, moves the job's progress with the global step, records
    each checkpoint, and on a cancel request saves a checkpoint and stops at the step's end.

    `stop_wanted` is where a cancel request shows: the context's own flag in one process; in a
    process group, rank 0's request, which every rank hears at the same step end."""

    def __init__(
        self,
        ctx: RunContext,
        phase: str,
        span: tuple[float, float],
        stop_wanted: threading.Event | None = None,
    ) -> None:
        self.ctx, self.phase, self.span = ctx, phase, span
        self.stop_wanted = stop_wanted or ctx.cancel_requested
        self.pending: list[dict[str, Any]] = []
        self.recorded: list[dict[str, Any]] = []  # every point, with its time: the metrics file
        self.last_flush = time.monotonic()
        self.last_tokens, self.last_time = 0, time.monotonic()
        self.cancelled = False

    def on_step_end(self, args, state: TrainerState, control: TrainerControl, **kwargs):
        start, end = self.span
        fraction = state.global_step / state.max_steps if state.max_steps else 0.0
        self.ctx.progress(
            start + (end - start) * fraction, step=state.global_step, total=state.max_steps
        )
        if state.max_steps and state.global_step >= state.max_steps:
            control.should_save = True  # the last step is always a checkpoint to resume from
        stop = distributed.agree(self.stop_wanted.is_set())  # a collective: every rank, every step
        if stop and not self.cancelled:
            self.ctx.cancel_requested.set()  # every rank's later step boundaries see it too
            self.cancelled = True
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_log(self, args, state: TrainerState, control, logs=None, **kwargs):
        logs = logs or {}
        now = time.monotonic()
        tokens = getattr(state, "num_input_tokens_seen", 0) or 0
        rate = (tokens - self.last_tokens) / (now - self.last_time) if tokens else None
        self.last_tokens, self.last_time = tokens, now
        point = {
            "phase": self.phase,
            "step": state.global_step,
            "epoch": state.epoch,
            "loss": logs.get("loss"),
            "learning_rate": logs.get("learning_rate"),
            "grad_norm": logs.get("grad_norm"),
            "eval_loss": logs.get("eval_loss"),
            "tokens_per_second": rate if "loss" in logs else None,
        }
        self.pending.append(point)
        self.recorded.append({"ts": datetime.now(UTC), **point})
        if now - self.last_flush >= METRIC_FLUSH_S:
            self.flush()

    def on_save(self, args: TrainingArguments, state: TrainerState, control, **kwargs):
        self.flush()  # a crash after this checkpoint must not lose the metrics that led to it
        metrics: dict[str, float] = {}
        for entry in reversed(state.log_history):  # the latest losses at or before this step
            for key in ("loss", "eval_loss"):
                if key in entry and key not in metrics:
                    metrics[key] = entry[key]
        folder = Path(str(args.output_dir)) / f"checkpoint-{state.global_step}"
        path = relative(self.ctx.workspace, folder)
        self.ctx.checkpoint(self.phase, state.global_step, path, metrics or None)

    def on_train_end(self, args, state, control, **kwargs):
        self.flush()

    def flush(self) -> None:
        if self.pending:
            self.ctx.metrics(self.pending)
            self.pending = []
        self.last_flush = time.monotonic()
