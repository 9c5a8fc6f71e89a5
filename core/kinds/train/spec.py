"""Spec of `train`, seed step 4: DAPT then SFT with LoRA (the seed's train.sh flags)."""

from typing import Any, Literal, Self

from pydantic import (
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.kinds.build_datasets.spec import DAPT_FOLDER, SFT_FOLDER, dataset_dir
from core.routing import MAX_GPUS
from core.specs.base import SpecBase
from core.specs.paths import WorkspacePath

DEFAULT_OUTPUT_DIR = "models/fine-tuned"
DAPT_SUFFIX, MERGED_SUFFIX = "-dapt", "-merged-hf"  # beside output_dir and sft_output_dir
EVAL_SHARE = 0.05  # of train, carved for evaluation when a dataset has no validation split
CHECKPOINT_REF = r"^job_[0-9a-f]{8,64}:[0-9]+$"
Tracker = Literal["tensorboard", "mlflow", "wandb"]  # core/kinds/train/trackers.py
# Module names of Mistral3ForConditionalGeneration: the vision tower and the projector never match.
LORA_TARGETS = {
    "language_qkvo": r".*language_model\.layers\.\d+\.self_attn\.(q_proj|k_proj|v_proj|o_proj)",
    "language_all_linear": r".*language_model\.layers\.\d+\.(self_attn\.(q_proj|k_proj|v_proj|"
    r"o_proj)|mlp\.(gate_proj|up_proj|down_proj))",
}


class TrainSpec(SpecBase):
    kind: Literal["train"] = Field(description="Train DAPT and/or SFT with LoRA (seed step 4).")
    phase: Literal["dapt", "sft", "both"] = Field(
        "both", description="dapt, sft, or both (DAPT first, then SFT on the same adapter)."
    )
    model_path: WorkspacePath = Field(
        "models/Ministral-3-8B-Thinking",
        description="Base model folder; must be on C64FT_ALLOWED_BASE_MODELS.",
    )
    dapt_dir: WorkspacePath = Field(dataset_dir(DAPT_FOLDER), description="DAPT parquet splits.")
    sft_dir: WorkspacePath = Field(dataset_dir(SFT_FOLDER), description="SFT jsonl splits.")
    output_dir: WorkspacePath = Field(DEFAULT_OUTPUT_DIR, description="Base of the outputs.")
    dapt_output_dir: WorkspacePath | None = Field(
        None, description="DAPT adapter and checkpoints; default `<output_dir>-dapt`."
    )
    sft_output_dir: WorkspacePath | None = Field(
        None, description="SFT adapter and checkpoints; default `<output_dir>`."
    )
    precision: Literal["bf16", "fp16", "auto"] = Field(
        "bf16", description="bf16 falls back to fp16 where unsupported; the CPU trains in fp32."
    )
    max_length: int = Field(2048, ge=16, le=131_072, description="Longest sequence, in tokens.")
    batch_size: int = Field(2, ge=1, le=1024, description="Sequences per device step.")
    grad_accum: int = Field(16, ge=1, le=4096, description="Steps per optimizer step.")
    learning_rate: float = Field(2e-5, gt=0, le=1, description="Peak learning rate.")
    epochs: float = Field(3, gt=0, le=1000, description="Passes over the data per phase.")
    max_steps: int = Field(-1, ge=-1, description="Optimizer steps per phase; -1 = from epochs.")
    warmup_steps: int = Field(100, ge=0, description="Linear warm-up, in optimizer steps.")
    logging_steps: int = Field(50, ge=1, description="Log (and record metrics) every N steps.")
    save_steps: int = Field(
        500,
        ge=1,
        description="Save a checkpoint every N steps; a round multiple of eval_steps while "
        "load_best_model_at_end is on.",
    )
    eval_steps: int = Field(250, ge=1, description="Evaluate every N steps (eval_strategy steps).")
    eval_strategy: Literal["no", "steps", "epoch"] = Field(
        "steps",
        description="When to evaluate on the validation split (carved from train at 5 % when "
        "the dataset folder has none).",
    )
    save_total_limit: int | None = Field(
        2,
        ge=1,
        description="Checkpoints kept per phase, the oldest deleted first (the best one is "
        "never deleted); null keeps all. At least 2 with load_best_model_at_end.",
    )
    load_best_model_at_end: bool = Field(
        True,
        description="A phase's output holds its best checkpoint's weights by eval loss, not the "
        "last. Needs eval_strategy steps: under no or epoch the default is off.",
    )
    seed: int = Field(42, description="Seed of the data order, dropout and LoRA init.")
    optim: Literal["adamw_torch", "adamw_torch_fused", "adafactor", "sgd"] = Field(
        "adamw_torch", description="Optimizer (a Hugging Face `optim` name)."
    )
    gradient_checkpointing: bool = Field(
        False, description="Recompute activations in the backward pass: less memory, slower."
    )
    use_lora: bool = Field(True, description="Train a LoRA adapter instead of all weights.")
    lora_r: int = Field(16, ge=1, le=1024, description="LoRA rank.")
    lora_alpha: int = Field(32, ge=1, description="LoRA alpha (scale = alpha / r).")
    lora_dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the LoRA input.")
    lora_scope: Literal["language_qkvo", "language_all_linear"] = Field(
        "language_qkvo",
        description="Attention projections, or every linear layer, of the language tower only "
        "(never the vision tower).",
    )
    assistant_only_loss: bool = Field(True, description="SFT loss on assistant tokens only.")
    strict_assistant_only_loss: bool = Field(
        True, description="Fail when the chat template cannot mark assistant tokens."
    )
    chat_template_path: WorkspacePath | None = Field(
        None, description="Jinja chat template; default the project's Mistral-3 template."
    )
    packing: bool = Field(
        False,
        description="Padding-free packing: SFT examples are packed best-fit into sequences of up "
        "to max_length tokens (TRL's bfd strategy), DAPT batches are flattened into one row; "
        "position ids restart at each example, so no example attends to another and the loss "
        "is the one without packing. With packing, batch_size counts packed sequences.",
    )
    attn_implementation: Literal["sdpa", "eager", "flash_attention_2"] = Field(
        "sdpa",
        description="Attention kernel (`from_pretrained(attn_implementation=…)`): sdpa (PyTorch), "
        "eager, or flash_attention_2 (needs a CUDA GPU and the `flash_attn` package; packed "
        "sequences then run as variable-length attention).",
    )
    use_liger_kernel: bool = Field(
        False,
        description="Liger-Kernel's Triton kernels (RMSNorm and SwiGLU; in DAPT also the fused "
        "linear cross-entropy, SFT's loss never builds the full logits anyway) on the language "
        "tower. GPU only; the worker needs `pip install 'c64ft[gpu-speed]'`.",
    )
    torch_compile: bool = Field(
        False,
        description="Compile the model with torch.compile (slower first steps, faster after); "
        "a model that fails to compile fails the job naming this field.",
    )
    allow_cpu: bool = Field(False, description="Train on the CPU when the worker has no GPU.")
    gpus: int = Field(
        1,
        ge=1,
        le=MAX_GPUS,
        description="Devices the job trains on, one process each (torchrun); the job waits in "
        "queue `gpu.N` for a worker that owns at least N. batch_size is per device: the "
        "effective batch is batch_size × grad_accum × gpus. With allow_cpu and no GPU, N CPU "
        "processes (gloo).",
    )
    distributed: Literal["ddp", "fsdp"] = Field(
        "ddp",
        description="How several processes share the model (gpus > 1): ddp keeps a whole copy "
        "in each; fsdp shards the weights and optimizer state, for a full fine-tune only "
        "(use_lora false).",
    )
    resume_from_checkpoint: Literal["auto", "never"] = Field(
        "auto", description="auto: continue from the latest checkpoint in the output folder."
    )
    from_checkpoint: str | None = Field(
        None,
        pattern=CHECKPOINT_REF,
        description="`<job id>:<step>`: start from a checkpoint of an earlier train job.",
    )
    merge_adapter: bool = Field(
        True, description="Also export the merged model to `<sft_output_dir>-merged-hf`."
    )
    report_to: Literal["none"] | Tracker | list[Tracker] = Field(
        "none",
        description="Experiment trackers the trainer also reports to: none, tensorboard, "
        "mlflow, wandb, or a list of them. TensorBoard event files go to `runs/<phase>` and "
        "MLflow runs to a local file store `mlruns/` (unless the worker sets "
        "MLFLOW_TRACKING_URI), both in the last phase's output folder; wandb reads its WANDB_* "
        "variables (WANDB_MODE=offline). The worker needs the tracker's package "
        "(`pip install 'c64ft[trackers]'`).",
    )

    @field_validator("report_to", mode="wrap")
    @classmethod
    def _one_report_to_error(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """One error naming the field, not one per branch of its union."""
        try:
            return handler(value)
        except ValidationError:
            raise ValueError(
                "must be none, tensorboard, mlflow, wandb, or a list of tensorboard, mlflow "
                "and wandb"
            ) from None

    @model_validator(mode="after")
    def _fill_output_dirs(self) -> Self:
        if self.dapt_output_dir is None:
            self.dapt_output_dir = self._default_output_of("dapt")
        if self.sft_output_dir is None:
            self.sft_output_dir = self._default_output_of("sft")
        return self

    @model_validator(mode="after")
    def _best_model_settings(self) -> Self:
        """What the Hugging Face trainer refuses at run time, refused here naming the field.
        Only evaluated checkpoints can be the best, so load_best_model_at_end needs
        eval_strategy steps and saves on evaluated steps; a default that cannot hold is turned
        off (and the resolved spec says so), one the caller set is refused."""
        if not self.load_best_model_at_end:
            return self
        if self.eval_strategy != "steps":
            if "load_best_model_at_end" not in self.model_fields_set:
                self.load_best_model_at_end = False
                return self
            raise field_error(
                "load_best_model_at_end",
                True,
                f"needs eval_strategy 'steps' (not {self.eval_strategy!r}): the best checkpoint "
                "is chosen among those saved at an evaluation; set load_best_model_at_end false",
            )
        if self.save_steps % self.eval_steps:
            raise field_error(
                "save_steps",
                self.save_steps,
                f"must be a round multiple of eval_steps ({self.eval_steps}) while "
                "load_best_model_at_end is true, so each checkpoint has an eval loss; change "
                "save_steps or eval_steps, or set load_best_model_at_end false",
            )
        if self.save_total_limit == 1:
            raise field_error(
                "save_total_limit",
                1,
                "must be at least 2 (or null) while load_best_model_at_end is true: the best "
                "checkpoint and the last one, to resume from, are both kept",
            )
        return self

    @model_validator(mode="after")
    def _fsdp_needs_a_full_fine_tune(self) -> Self:
        if self.distributed == "fsdp" and self.use_lora:
            raise field_error(
                "distributed",
                "fsdp",
                "fsdp shards a full fine-tune: set use_lora false, or use ddp for a LoRA adapter",
            )
        return self

    def _default_output_of(self, phase: str) -> str:
        """A phase's folder when its own field is unset: derived from output_dir."""
        return f"{self.output_dir}{DAPT_SUFFIX}" if phase == "dapt" else self.output_dir

    @property
    def phases(self) -> list[str]:
        return ["dapt", "sft"] if self.phase == "both" else [self.phase]

    def output_of(self, phase: str) -> str:
        """The output folder of a phase (filled in by validation)."""
        folder = self.dapt_output_dir if phase == "dapt" else self.sft_output_dir
        return folder or self.output_dir

    def tracking_dir(self) -> str:
        """Where the job's `metrics.csv` and its trackers' files go: the last phase's folder."""
        return self.output_of(self.phases[-1])

    def merged_dir(self) -> str:
        """Where the merged model goes: `<sft_output_dir>-merged-hf`."""
        return merged_model_dir(self.output_of("sft"))

    def inputs(self) -> list[tuple[str, str]]:
        reads = [("model_path", self.model_path)]
        reads += [(f"{p}_dir", self.dapt_dir if p == "dapt" else self.sft_dir) for p in self.phases]
        template = self.chat_template_path
        return reads + ([("chat_template_path", template)] if template else [])

    def outputs(self) -> list[tuple[str, str]]:
        """Each phase's folder and the merged model's, each named by the field it comes from."""

        def field(phase: str) -> str:  # output_dir, where the phase's folder derives from it
            derived = self.output_of(phase) == self._default_output_of(phase)
            return "output_dir" if derived else f"{phase}_output_dir"

        writes = [(field(p), self.output_of(p)) for p in self.phases]
        if self.merge_adapter and self.use_lora and "sft" in self.phases:
            writes.append((field("sft"), self.merged_dir()))
        return writes

    def exported_model(self) -> tuple[str, str | None]:
        """What validation loads from this run: (model folder, adapter folder or None)."""
        last = self.output_of(self.phases[-1])
        if not self.use_lora:
            return last, None
        if self.merge_adapter and "sft" in self.phases:
            return self.merged_dir(), None
        return self.model_path, last


def field_error(field: str, value: Any, message: str) -> ValidationError:
    """A validation error located at `field` (a 422 names it), raised from a model validator."""
    error = PydanticCustomError("value_error", message)
    return ValidationError.from_exception_data(
        "TrainSpec", [InitErrorDetails(type=error, loc=(field,), input=value)]
    )


def merged_model_dir(sft_output_dir: str) -> str:
    """The merged model's folder, beside the SFT adapter's."""
    return f"{sft_output_dir}{MERGED_SUFFIX}"
