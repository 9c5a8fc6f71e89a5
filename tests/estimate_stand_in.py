"""TEMPORARY stand-in for core/kinds/train/estimate.py (engineer D1 writes the real one in
parallel, issue 18): the contract's interface with a rough model, so the dry-run tests of the
memory and time checks run before it lands. tests/conftest.py installs it only when the real
module is missing. Delete this file and that hook once D1's module is merged."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BYTES = {"bf16": 2, "fp16": 2, "fp32": 4}


@dataclass(frozen=True)
class ModelShape:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied: bool
    vision_params: int

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ModelShape":
        text = config.get("text_config", config)
        vision = config.get("vision_config") or {}
        hidden, heads = text["hidden_size"], text["num_attention_heads"]
        vision_hidden = vision.get("hidden_size", 0)
        vision_params = vision.get("num_hidden_layers", 0) * (
            4 * vision_hidden**2 + 3 * vision_hidden * vision.get("intermediate_size", 0)
        )
        return cls(
            hidden=hidden,
            layers=text["num_hidden_layers"],
            heads=heads,
            kv_heads=text.get("num_key_value_heads", heads),
            head_dim=text.get("head_dim") or hidden // heads,
            intermediate=text["intermediate_size"],
            vocab=text["vocab_size"],
            tied=bool(text.get("tie_word_embeddings", False)),
            vision_params=vision_params,
        )

    @property
    def params(self) -> int:
        attention = self.hidden * self.head_dim * (2 * self.heads + 2 * self.kv_heads)
        layer = attention + 3 * self.hidden * self.intermediate
        embeddings = self.vocab * self.hidden * (1 if self.tied else 2)
        return self.layers * layer + embeddings + self.vision_params


def read_shape(model_dir: Path) -> ModelShape:
    try:
        return ModelShape.from_config(json.loads((model_dir / "config.json").read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{model_dir}/config.json is not a readable model config ({exc})") from exc


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    trainable_state: int
    activations: int
    logits: int
    overhead: int
    total: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def estimate_memory(
    shape: ModelShape,
    spec: Any,
    *,
    precision: str,
    batch_size: int | None = None,
    gradient_checkpointing: bool | None = None,
) -> MemoryEstimate:
    size = BYTES[precision]
    batch = spec.batch_size if batch_size is None else batch_size
    recompute = (
        spec.gradient_checkpointing if gradient_checkpointing is None else gradient_checkpointing
    )
    weights = shape.params * size
    lora = shape.layers * spec.lora_r * 2 * (2 * shape.hidden + 2 * shape.heads * shape.head_dim)
    trainable = (lora if spec.use_lora else shape.params) * 16  # fp32 weight, grad, 2 states
    tokens = batch * spec.max_length
    per_layer = 2 * shape.hidden if recompute else 34 * shape.hidden
    activations = tokens * shape.layers * per_layer * size
    logits = tokens * shape.vocab * (size + 8)
    overhead = 512 << 20
    total = weights + trainable + activations + logits + overhead
    return MemoryEstimate(weights, trainable, activations, logits, overhead, total)


def largest_batch_size(shape: ModelShape, spec: Any, budget_bytes: int, *, precision: str) -> int:
    batch = 0
    while batch < 1024:
        total = estimate_memory(shape, spec, precision=precision, batch_size=batch + 1).total
        if total > budget_bytes:
            break
        batch += 1
    return batch
