"""The memory estimate's arithmetic: model sizes from config.json, terms, largest batch size."""

import json
import subprocess
import sys

import pytest

from core.kinds.train.estimate import (
    TEXT_DEFAULTS,
    VISION_DEFAULTS,
    ModelShape,
    estimate_memory,
    largest_batch_size,
    read_shape,
)
from core.kinds.train.spec import TrainSpec

GIB = 1 << 30
MINISTRAL_8B = ModelShape.from_config({"text_config": {}, "vision_config": {}})


def spec(**fields) -> TrainSpec:
    return TrainSpec.model_validate({"kind": "train", "phase": "sft", **fields})


def test_the_defaults_are_transformers_ministral3_and_pixtral_defaults():
    from transformers import Ministral3Config, PixtralVisionConfig

    text, vision = Ministral3Config(), PixtralVisionConfig()
    assert {key: getattr(text, key) for key in TEXT_DEFAULTS} == TEXT_DEFAULTS
    assert {key: getattr(vision, key) for key in VISION_DEFAULTS} == VISION_DEFAULTS


def test_ministral_3_8b_has_about_8_billion_parameters():
    shape = MINISTRAL_8B
    assert (shape.hidden, shape.layers, shape.heads, shape.kv_heads) == (4096, 34, 32, 8)
    assert (shape.head_dim, shape.intermediate, shape.vocab) == (128, 14336, 131072)
    assert 8.3e9 < shape.text_params < 8.6e9  # 34 x 218M per layer + 2 x 537M embeddings
    assert 0.35e9 < shape.vision_params < 0.5e9  # Pixtral's 24 layers and the projector


def test_the_tiny_model_counts_are_exact(tiny_model):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, Mistral3ForConditionalGeneration

    from core.kinds.train.spec import LORA_TARGETS

    shape = read_shape(tiny_model)
    model = Mistral3ForConditionalGeneration(AutoConfig.from_pretrained(tiny_model))
    assert shape.params == sum(p.numel() for p in model.parameters())
    for scope in LORA_TARGETS:
        lora = spec(lora_scope=scope, lora_r=8)
        fresh = Mistral3ForConditionalGeneration(AutoConfig.from_pretrained(tiny_model))
        config = LoraConfig(r=8, target_modules=LORA_TARGETS[scope], task_type="CAUSAL_LM")
        trainable = sum(
            p.numel() for p in get_peft_model(fresh, config).parameters() if p.requires_grad
        )
        estimate = estimate_memory(shape, lora, precision="fp32")
        assert estimate.trainable_state == trainable * 4 * 4  # weight, gradient, two Adam states


def test_weights_follow_the_precision_and_lora_state_stays_fp32():
    bf16 = estimate_memory(MINISTRAL_8B, spec(), precision="bf16")
    fp32 = estimate_memory(MINISTRAL_8B, spec(), precision="fp32")
    assert bf16.weights == MINISTRAL_8B.params * 2 and fp32.weights == 2 * bf16.weights
    assert bf16.trainable_state == fp32.trainable_state < 0.02 * bf16.weights
    full = estimate_memory(MINISTRAL_8B, spec(use_lora=False), precision="bf16")
    assert full.trainable_state == 3 * full.weights  # gradients and two AdamW states, in bf16
    assert (
        estimate_memory(
            MINISTRAL_8B, spec(use_lora=False, optim="sgd"), precision="bf16"
        ).trainable_state
        == full.weights
    )


def test_activations_scale_with_tokens_and_shrink_with_checkpointing():
    one = estimate_memory(MINISTRAL_8B, spec(batch_size=1), precision="bf16")
    two = estimate_memory(MINISTRAL_8B, spec(batch_size=2), precision="bf16")
    assert two.activations == 2 * one.activations and two.logits == 2 * one.logits
    saved = estimate_memory(
        MINISTRAL_8B, spec(batch_size=2), precision="bf16", gradient_checkpointing=True
    )
    assert saved.activations < two.activations / 10
    assert two.total == sum(v for k, v in two.as_dict().items() if k != "total")


def test_eager_attention_keeps_the_probabilities_and_fused_heads_the_logits_small():
    base = spec(max_length=4096, phase="dapt")  # the Trainer's loss: the whole logits
    eager = base.model_copy(update={"attn_implementation": "eager"})
    liger = base.model_copy(update={"use_liger_kernel": True})
    plain = estimate_memory(MINISTRAL_8B, base, precision="bf16")
    probabilities = 2 * 32 * 4096**2 * 6 * 34  # batch x heads x L^2 x (fp32 softmax + bf16 copy)
    assert (
        estimate_memory(MINISTRAL_8B, eager, precision="bf16").activations
        == plain.activations + probabilities
    )
    assert estimate_memory(MINISTRAL_8B, liger, precision="bf16").logits < plain.logits / 10
    sft = estimate_memory(MINISTRAL_8B, spec(max_length=4096), precision="bf16")  # TRL's fused head
    assert sft.logits < plain.logits / 5
    both = estimate_memory(MINISTRAL_8B, spec(max_length=4096, phase="both"), precision="bf16")
    assert both.logits == plain.logits


def test_the_largest_batch_size_is_the_last_that_fits():
    lora = spec(max_length=2048)
    budget = 80 * GIB
    batch = largest_batch_size(MINISTRAL_8B, lora, budget, precision="bf16")
    assert batch >= 1
    assert estimate_memory(MINISTRAL_8B, lora, precision="bf16", batch_size=batch).total <= budget
    assert (
        estimate_memory(MINISTRAL_8B, lora, precision="bf16", batch_size=batch + 1).total > budget
    )
    assert (
        largest_batch_size(MINISTRAL_8B, lora, 16 * GIB, precision="bf16") == 0
    )  # 17 GB of weights


def test_read_shape_says_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="cannot read .*config.json"):
        read_shape(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="does not describe a Mistral3 model"):
        read_shape(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"text_config": {"hidden_size": "wide"}}))
    with pytest.raises(ValueError, match="does not describe a Mistral3 model"):
        read_shape(tmp_path)


def test_the_estimate_imports_no_torch():
    code = "import sys, core.kinds.train.estimate; print(sorted({'torch', 'trl'} & {*sys.modules}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
