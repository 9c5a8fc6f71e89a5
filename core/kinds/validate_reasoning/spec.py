"""Spec of `validate_reasoning`, seed step 5: does the exported model keep the THINK contract?"""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.gguf.quants import Quant
from core.kinds.export.spec import gguf_dir
from core.kinds.train.spec import DEFAULT_OUTPUT_DIR, merged_model_dir
from core.specs.base import SpecBase
from core.specs.paths import WorkspacePath

PromptId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
PromptText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class SinglePrompt(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: PromptId = Field(description="Names the run in runs.csv, metrics.csv and raw/.")
    text: PromptText


class MultiTurnPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: PromptId = Field(description="Names the run in runs.csv, metrics.csv and raw/.")
    turns: list[PromptText] = Field(
        min_length=2,
        max_length=8,
        description="User turns; the model's own reply to each is fed back before the next.",
    )


class Thresholds(BaseModel):
    """The runtime contract: the least rate of runs that must keep each property, per quant.
    A run type without runs scores 0 and fails."""

    model_config = ConfigDict(extra="forbid", strict=True)
    single_think_tag_rate: float = Field(
        0.95, ge=0, le=1, description="Single runs whose reply has both [THINK] and [/THINK]."
    )
    single_balanced_tag_rate: float = Field(
        0.95,
        ge=0,
        le=1,
        description="Single runs with at least one THINK block, each closed in order.",
    )
    single_final_after_think_rate: float = Field(
        0.95, ge=0, le=1, description="Single runs with a non-empty answer after the last [/THINK]."
    )
    multi_turn_retention_rate: float = Field(
        0.90,
        ge=0,
        le=1,
        description="Multi runs (`multi_turn_prompts`) where every assistant turn has both tags, "
        "balanced, and an answer.",
    )


DEFAULT_SINGLE = [
    SinglePrompt(
        id="vic_ii_border",
        text="On the C64, which VIC-II register sets the border colour, and how do I make the "
        "border black from BASIC?",
    )
]
DEFAULT_MULTI_TURN = [
    MultiTurnPrompt(
        id="sid_voice_volume",
        turns=[
            "What does the SID chip do in the Commodore 64, and where are its registers?",
            "Can you go into more detail about its volume register?",
        ],
    )
]


class ValidateReasoningSpec(SpecBase):
    kind: Literal["validate_reasoning"] = Field(
        description="Generate from the exported model and measure the THINK contract (seed step 5)."
    )
    runtime: Literal["llama_cpp", "transformers"] = Field(
        "llama_cpp",
        description="`llama_cpp`: the exported GGUF files (`gguf_dir`, `quants`) under "
        "llama.cpp, what users run; `transformers`: the Hugging Face model itself "
        "(`model_path`, `adapter_path`) on the worker's GPU.",
    )
    model_path: WorkspacePath = Field(
        merged_model_dir(DEFAULT_OUTPUT_DIR),  # what train exports by default
        description="A merged model folder (train's `<sft_output_dir>-merged-hf`), or the base "
        "model when `adapter_path` is set. Under llama_cpp it only names the default "
        "`gguf_dir`.",
    )
    adapter_path: WorkspacePath | None = Field(
        None, description="A LoRA adapter folder (a train output) applied to `model_path`."
    )
    gguf_dir: WorkspacePath | None = Field(
        None,
        description="An export job's folder (export.json, the .gguf files, tokenizer/); "
        "default the export's own default for `model_path`: `models/fine-tuned-gguf`.",
    )
    quants: list[Quant] = Field(
        ["Q8_0", "F16"],
        min_length=1,
        description="Under llama_cpp, the exported files validated, each its own set of runs; "
        "the verdict is PASS only when every one passes.",
    )
    seeds: list[int] = Field(
        [11, 22, 33], min_length=1, max_length=16, description="Each prompt runs once per seed."
    )
    max_new_tokens: int = Field(192, ge=1, le=8192, description="Longest reply per turn.")
    ctx_size: int = Field(
        4096,
        ge=64,
        le=262_144,
        description="Context window of the runtime: a reply is cut where the conversation "
        "would outgrow it.",
    )
    single_prompts: list[SinglePrompt] = Field(
        default_factory=lambda: list(DEFAULT_SINGLE),
        min_length=1,  # a category without runs scores 0: the job could only fail
        max_length=64,
        description="Each is a run of type `single` (one user turn) per seed.",
    )
    multi_turn_prompts: list[MultiTurnPrompt] = Field(
        default_factory=lambda: list(DEFAULT_MULTI_TURN),
        min_length=1,
        max_length=64,
        description="Each is a run of type `multi` (a conversation) per seed.",
    )
    thresholds: Thresholds = Field(default_factory=Thresholds)
    system_prompt: Annotated[str, StringConstraints(max_length=20_000)] | None = Field(
        None,
        description="Default: the system prompt the model was trained with "
        "(`c64ft_system_prompt.txt` of the model or adapter folder), else the model's "
        "SYSTEM_PROMPT.txt followed by the C64 block (docs/design.md).",
    )
    chat_template_path: WorkspacePath | None = Field(
        None,
        description="Jinja chat template; default the one saved with the model (training's), "
        "else the project's Mistral-3 template.",
    )
    batch_size: int = Field(
        8, ge=1, le=256, description="Conversations generated together (transformers)."
    )
    run_timeout_s: float = Field(
        600,
        gt=0,
        le=86_400,
        description="Longest one generation batch may take; cut-off "
        "replies are marked `timed_out` in raw/ and measured as they are.",
    )
    precision: Literal["bf16", "fp16", "auto"] = Field(
        "bf16",
        description="transformers: bf16 falls back to fp16 where unsupported; the CPU runs "
        "fp32. llama_cpp: each file's own type.",
    )
    allow_cpu: bool = Field(
        False,
        description="Generate on the CPU when the worker has no GPU (transformers) or "
        "llama.cpp was built without a GPU backend (llama_cpp).",
    )
    output_dir: WorkspacePath | None = Field(
        None, description="Where the reports go; default `results/reasoning_validation/<job id>`."
    )

    def gguf_source(self) -> str:
        """The export folder llama_cpp validates."""
        return self.gguf_dir or gguf_dir(self.model_path, self.adapter_path)

    def inputs(self) -> list[tuple[str, str]]:
        if self.runtime == "llama_cpp":
            found = [("gguf_dir", self.gguf_source())]
        else:
            found = [
                (name, value)
                for name in ("model_path", "adapter_path")
                if (value := getattr(self, name))
            ]
        return found + (
            [("chat_template_path", self.chat_template_path)] if self.chat_template_path else []
        )

    def outputs(self) -> list[tuple[str, str]]:
        # unset: a new folder per job, results/reasoning_validation/<job id>
        return [("output_dir", self.output_dir)] if self.output_dir else []

    @model_validator(mode="after")
    def _distinct_prompts(self) -> Self:
        ids = [p.id for p in self.single_prompts] + [p.id for p in self.multi_turn_prompts]
        if len(set(ids)) != len(ids):
            raise ValueError("prompt ids must be distinct (they name the runs)")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError("seeds must be distinct")
        if len(set(self.quants)) != len(self.quants):
            raise ValueError("quants must be distinct")
        return self
