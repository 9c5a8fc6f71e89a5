"""Spec of `export`: GGUF files (F16 and quantized) and Ollama Modelfiles of a trained model
(the runtime artifacts of seed step 5)."""

from pathlib import PurePosixPath
from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from core.gguf.quants import Quant
from core.kinds.train.spec import DEFAULT_OUTPUT_DIR, MERGED_SUFFIX, merged_model_dir
from core.specs.base import SpecBase
from core.specs.paths import WorkspacePath

GGUF_SUFFIX = "-gguf"
LEGACY_MERGED_SUFFIX = "-merged"


def export_name(model_path: str, adapter_path: str | None = None) -> str:
    """The stem of the exported files: the model's (or adapter's) folder, less `-merged-hf`
    (or the `-merged` of models merged before that was the suffix)."""
    name = PurePosixPath(adapter_path or model_path).name
    return name.removesuffix(MERGED_SUFFIX).removesuffix(LEGACY_MERGED_SUFFIX)


def gguf_dir(model_path: str, adapter_path: str | None = None) -> str:
    """Where an export of this model goes by default: `<folder>/<name>-gguf` beside it."""
    source = PurePosixPath(adapter_path or model_path)
    return str(source.parent / f"{export_name(model_path, adapter_path)}{GGUF_SUFFIX}")


class ExportSpec(SpecBase):
    kind: Literal["export"] = Field(
        description="Convert a trained model to GGUF for llama.cpp and Ollama, quantize it and "
        "write a Modelfile per file."
    )
    model_path: WorkspacePath = Field(
        merged_model_dir(DEFAULT_OUTPUT_DIR),  # what train exports by default
        description="A merged model folder (train's `<sft_output_dir>-merged-hf`), or the base "
        "model when `adapter_path` is set.",
    )
    adapter_path: WorkspacePath | None = Field(
        None, description="A LoRA adapter folder (a train output), merged into `model_path`."
    )
    quants: list[Quant] = Field(
        ["F16", "Q8_0", "Q6_K", "Q4_K_M"],
        min_length=1,
        description="GGUF file types to write, by llama.cpp's names; one .gguf file each.",
    )
    output_dir: WorkspacePath | None = Field(
        None, description="Default `<folder of the model>/<name>-gguf` (`models/fine-tuned-gguf`)."
    )
    lora_gguf: bool | None = Field(
        None,
        description="Also write the adapter as a GGUF LoRA file (llama.cpp's `--lora`); "
        "default true when `adapter_path` is set. Needs `adapter_path`.",
    )
    modelfiles: bool = Field(True, description="Write an Ollama Modelfile per .gguf file.")
    ctx_size: int = Field(4096, ge=64, le=262_144, description="The Modelfiles' `num_ctx`.")
    system_prompt: Annotated[str, StringConstraints(max_length=20_000)] | None = Field(
        None,
        description="The Modelfiles' SYSTEM; default the system prompt the model was trained "
        "with (`c64ft_system_prompt.txt` of the model or adapter folder).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.quants)) != len(self.quants):
            raise ValueError("quants must be distinct")
        if self.lora_gguf and self.adapter_path is None:
            raise ValueError("lora_gguf needs adapter_path (there is no adapter to convert)")
        return self

    def target_dir(self) -> str:
        return self.output_dir or gguf_dir(self.model_path, self.adapter_path)

    def write_lora(self) -> bool:
        return self.adapter_path is not None if self.lora_gguf is None else self.lora_gguf

    def inputs(self) -> list[tuple[str, str]]:
        fields = ("model_path", "adapter_path")
        return [(name, value) for name in fields if (value := getattr(self, name))]

    def outputs(self) -> list[tuple[str, str]]:
        return [("output_dir", self.target_dir())]
