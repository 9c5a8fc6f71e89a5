"""Peak training memory of a train spec, from the model's config.json alone (no torch: the API
runs it). The terms and their formulas are in docs/design.md, "Memory estimate"."""

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.kinds.train.spec import TrainSpec

# Ministral3Config's and PixtralVisionConfig's defaults: what transformers assumes for a key
# that a config.json leaves out (tests/core/kinds/test_train_estimate.py checks them).
TEXT_DEFAULTS = {
    "hidden_size": 4096,
    "num_hidden_layers": 34,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "intermediate_size": 14336,
    "vocab_size": 131072,
    "tie_word_embeddings": False,
}
VISION_DEFAULTS = {
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 24,
    "num_channels": 3,
    "patch_size": 16,
}
BYTES = {"fp32": 4, "bf16": 2, "fp16": 2}
FP32 = 4  # RMSNorm's upcast, the loss, LoRA's weights (peft keeps adapters in fp32)
STATES = {"adamw_torch": 2, "adamw_torch_fused": 2, "adafactor": 0, "sgd": 0}  # per parameter
# TRL's fused LM head (SFT): tiles of tokens x vocabulary; its torch path (no Triton: the CPU)
# keeps about this many tile-sized fp32 temporaries at once in the backward pass
TRL_TOKEN_TILE, TRL_VOCAB_TILE, TRL_CPU_TEMPORARIES = 4096, 32768, 7
GPU_RESERVE = 1 << 30  # CUDA context, cuBLAS workspaces, the caching allocator's slack
LORA_MODULES = {"language_qkvo": ("q", "k", "v", "o"), "language_all_linear": "qkvogud"}


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
    vision_params: int  # vision tower and projector, parameters

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ModelShape":
        """The shape of a Mistral3 config.json (`text_config` and `vision_config`); a plain
        text config (no `text_config`) is read as the text tower alone."""
        text = {**TEXT_DEFAULTS, **(config.get("text_config") or config)}
        hidden, heads = int(text["hidden_size"]), int(text["num_attention_heads"])
        tied = bool(config.get("tie_word_embeddings", text["tie_word_embeddings"]))
        vision = config.get("vision_config")
        return cls(
            hidden=hidden,
            layers=int(text["num_hidden_layers"]),
            heads=heads,
            kv_heads=int(text["num_key_value_heads"] or heads),
            head_dim=int(text["head_dim"] or hidden // heads),
            intermediate=int(text["intermediate_size"]),
            vocab=int(text["vocab_size"]),
            tied=tied,
            vision_params=_vision_params(vision, config, hidden) if vision is not None else 0,
        )

    @property
    def text_params(self) -> int:
        q, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        layer = self.hidden * (2 * q + 2 * kv) + 3 * self.hidden * self.intermediate
        layer += 2 * self.hidden  # the two RMSNorms
        embeddings = self.vocab * self.hidden * (1 if self.tied else 2)
        return self.layers * layer + embeddings + self.hidden

    @property
    def params(self) -> int:
        return self.text_params + self.vision_params


def _vision_params(vision: dict[str, Any], config: dict[str, Any], text_hidden: int) -> int:
    """Pixtral's tower (patch convolution, layers of attention and gated MLP) and Mistral3's
    projector (norm, patch merger, two linears)."""
    v = {**VISION_DEFAULTS, **vision}
    hidden, inter = int(v["hidden_size"]), int(v["intermediate_size"])
    patch = int(v["num_channels"]) * int(v["patch_size"]) ** 2 * hidden
    layer = 4 * hidden * hidden + 3 * hidden * inter + 2 * hidden
    merge = int(config.get("spatial_merge_size", 2)) ** 2
    bias = text_hidden * 2 if config.get("multimodal_projector_bias", False) else 0
    projector = hidden + merge * hidden * hidden + hidden * text_hidden + text_hidden**2 + bias
    return patch + hidden + int(v["num_hidden_layers"]) * layer + projector


def read_shape(model_dir: Path) -> ModelShape:
    """The shape of the model in `model_dir` (its config.json).

    Raises:
        ValueError: no readable config.json, or one without the sizes of a decoder.
    """
    path = Path(model_dir) / "config.json"
    try:
        config = json.loads(path.read_text())
        return ModelShape.from_config(config)
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    except (json.JSONDecodeError, AttributeError, TypeError, KeyError, ValueError) as error:
        raise ValueError(f"{path} does not describe a Mistral3 model: {error}") from None


@dataclass(frozen=True)
class MemoryEstimate:
    """Peak memory of one training step, in bytes, by what holds it."""

    weights: int  # the model's parameters in the training precision
    trainable_state: int  # trained parameters' fp32 copies (LoRA), gradients, optimizer state
    activations: int  # what the forward pass keeps for the backward pass
    logits: int  # the LM head's output and the loss's buffers and gradients
    overhead: int  # backward temporaries, recomputation; on a GPU its runtime reserve
    total: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def estimate_memory(
    shape: ModelShape,
    spec: TrainSpec,
    *,
    precision: str,
    batch_size: int | None = None,
    gradient_checkpointing: bool | None = None,
) -> MemoryEstimate:
    """Peak memory of a training step of `spec` on one device.

    Args:
        shape: the model's sizes (`read_shape`).
        spec: the train spec (max_length, use_lora, lora_r, lora_scope, optim, ...).
        precision: "fp32" (the CPU), "bf16" or "fp16" (a GPU).
        batch_size: sequences per step instead of the spec's.
        gradient_checkpointing: instead of the spec's.

    Returns:
        The estimate; `total` is the sum of the terms.
    """
    a = BYTES[precision]
    batch = spec.batch_size if batch_size is None else batch_size
    checkpointing = (
        spec.gradient_checkpointing if gradient_checkpointing is None else (gradient_checkpointing)
    )
    tokens = batch * spec.max_length  # padded, or packed padding-free: as many real tokens
    lora_params = _lora_params(shape, spec) if spec.use_lora else 0
    states = STATES.get(spec.optim, 2)
    weights = shape.params * a
    if spec.use_lora:  # fp32 adapter, its gradient, and the optimizer's state in fp32
        trainable = lora_params * FP32 * (2 + states)
    else:  # gradients and optimizer state in the parameters' precision
        trainable = shape.params * a * (1 + states)
    layer = _layer_bytes(shape, spec, a, batch)
    if checkpointing:  # each layer keeps its input; one layer is recomputed in the backward pass
        activations = (
            shape.layers * tokens * shape.hidden * a + _head_bytes(shape, spec, a) * tokens
        )
        transient = 2 * layer
    else:
        activations = shape.layers * layer + _head_bytes(shape, spec, a) * tokens
        transient = layer // 2
    logits = _logits_bytes(shape, spec, a, tokens)
    if not spec.use_lora:  # the optimizer's step: one temporary as large as a state
        step = shape.params * a if states else 0
        transient = max(transient, step - activations - logits)
    # the loss's buffers are gone before the first layer's backward: only the excess counts
    overhead = max(transient - logits, 0) + (GPU_RESERVE if precision != "fp32" else 0)
    total = weights + trainable + activations + logits + overhead
    return MemoryEstimate(weights, trainable, activations, logits, overhead, total)


def largest_batch_size(
    shape: ModelShape, spec: TrainSpec, budget_bytes: int, *, precision: str
) -> int:
    """The largest batch size whose estimate fits in `budget_bytes` (0: not even 1)."""

    def fits(batch: int) -> bool:
        return (
            estimate_memory(shape, spec, precision=precision, batch_size=batch).total
            <= budget_bytes
        )

    if not fits(1):
        return 0
    low, high = 1, 2
    while high <= 1 << 20 and fits(high):
        low, high = high, high * 2
    while high - low > 1:  # fits(low), not fits(high)
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def _lora_params(shape: ModelShape, spec: TrainSpec) -> int:
    q, kv = shape.heads * shape.head_dim, shape.kv_heads * shape.head_dim
    h, i = shape.hidden, shape.intermediate
    sizes = {"q": (h, q), "k": (h, kv), "v": (h, kv), "o": (q, h), "g": (h, i), "u": (h, i)}
    sizes["d"] = (i, h)
    per_layer = sum(spec.lora_r * sum(sizes[module]) for module in _lora_modules(spec))
    return shape.layers * per_layer


def _lora_modules(spec: TrainSpec) -> tuple[str, ...]:
    return tuple(LORA_MODULES[spec.lora_scope])


def _layer_bytes(shape: ModelShape, spec: TrainSpec, a: int, batch: int) -> int:
    """What one decoder layer keeps for the backward pass, for the whole batch."""
    h, i = shape.hidden, shape.intermediate
    q = shape.heads * shape.head_dim
    if spec.use_lora:  # frozen linears keep no input; each RMSNorm keeps its fp32 input
        per_token = 2 * FP32 * h + 5 * a * q + 3 * a * i
        for module in _lora_modules(spec):  # dropout's output and mask, lora_A's output
            n_in = {"o": q, "d": i}.get(module, h)
            kept = (a + 1) * n_in if spec.lora_dropout else 0
            per_token += kept + a * spec.lora_r
        if not spec.lora_dropout:  # lora_A keeps the shared input itself
            per_token += a * h * (1 + ("g" in _lora_modules(spec))) + a * q
    else:  # RMSNorm: fp32 input, normalised value, output; attention; the gated MLP's four
        per_token = 2 * (FP32 * h + 2 * a * h) + 5 * a * q + 4 * a * i
    attention = 0
    if spec.attn_implementation == "eager":  # probabilities, fp32 softmax
        attention = batch * shape.heads * spec.max_length**2 * (FP32 + (a if a != FP32 else 0))
    return per_token * batch * spec.max_length + attention


def _head_bytes(shape: ModelShape, spec: TrainSpec, a: int) -> int:
    """Per token: the final RMSNorm's fp32 input, and the LM head's input when it trains."""
    return FP32 * shape.hidden + (0 if spec.use_lora else 2 * a * shape.hidden)


def _logits_bytes(shape: ModelShape, spec: TrainSpec, a: int, tokens: int) -> int:
    """The loss's peak: the largest over the spec's phases."""
    phases = {"both": ("dapt", "sft")}.get(spec.phase, (spec.phase,))
    return max(_loss_bytes(shape, spec, a, tokens, phase) for phase in phases)


def _loss_bytes(shape: ModelShape, spec: TrainSpec, a: int, tokens: int, phase: str) -> int:
    """DAPT (the Trainer's loss): the logits, their fp32 upcast, log-softmax and two fp32
    gradients. SFT (TRL's fused LM head): a [4096 tokens x 32768 vocabulary] product buffer, the
    fp32 gradient of the hidden states, and on the CPU (fp32) the tile's temporaries of TRL's
    torch fallback. Liger's fused linear cross entropy: a chunk of tokens at a time."""
    if spec.use_liger_kernel:
        chunk = 2 ** math.ceil(
            math.log2(max(1, math.ceil(tokens / math.ceil(shape.vocab / shape.hidden))))
        )
        return 2 * min(chunk, tokens) * shape.vocab * FP32 + tokens * shape.hidden * FP32
    if phase == "dapt":
        return tokens * shape.vocab * (a + (FP32 if a != FP32 else 0) + 3 * FP32)
    rows = min(tokens, TRL_TOKEN_TILE)
    fallback = (
        TRL_CPU_TEMPORARIES * rows * min(shape.vocab, TRL_VOCAB_TILE) * FP32 if a == FP32 else 0
    )
    return rows * TRL_VOCAB_TILE * a + tokens * shape.hidden * FP32 + fallback
