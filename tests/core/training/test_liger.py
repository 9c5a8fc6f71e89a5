"""use_liger_kernel on the tiny model, on the CPU: the clear refusals (no GPU, no package, a tower
Liger does not fit), and the wiring of the fused loss, with a torch reference standing in for
Liger's Triton kernel, which cannot launch without a GPU. The Liger path itself runs on a GPU
only (bench/gpu_check.sh)."""

import importlib.util

import pytest
import torch
import torch.nn.functional as F
from transformers import Mistral3ForConditionalGeneration, Trainer, TrainingArguments

from core.errors import JobFailure
from core.training import liger
from core.training.liger import apply_liger, fuse_loss


@pytest.fixture
def model(tiny_model):
    torch.manual_seed(0)
    return Mistral3ForConditionalGeneration.from_pretrained(tiny_model, dtype=torch.float32)


@pytest.fixture
def batch(model):
    torch.manual_seed(1)
    vocab = model.config.text_config.vocab_size
    input_ids = torch.randint(20, vocab, (2, 24))
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 18:] = 0  # a padded row
    labels = input_ids.clone()
    labels[:, :7] = -100  # a prompt that is not supervised
    labels[attention_mask == 0] = -100
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def reference_loss(
    hidden_states,
    lm_head_weight,
    labels,
    hidden_size,
    num_items_in_batch=None,
    ignore_index=-100,
    shift_labels=None,
):
    """What Liger's LigerForCausalLMLoss computes, in plain torch: shift, project, sum the
    cross-entropy of the supervised tokens, divided by num_items_in_batch or their count."""
    if shift_labels is None:
        shift_labels = F.pad(labels, (0, 1), value=ignore_index)[..., 1:]
    logits = hidden_states.reshape(-1, hidden_size).float() @ lm_head_weight.float().T
    targets = shift_labels.reshape(-1)
    if num_items_in_batch is None:
        return F.cross_entropy(logits, targets, ignore_index=ignore_index)
    return F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction="sum") / (
        num_items_in_batch
    )


def loss_and_grads(model, batch, **extra):
    model.zero_grad()
    outputs = model(**batch, **extra)
    outputs.loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return outputs, grads


def own_loss(model, batch, num_items_in_batch):
    """The model's own loss (from its logits) and gradients, in training mode."""
    model.train()
    extra = {"num_items_in_batch": num_items_in_batch} if num_items_in_batch else {}
    expected, expected_grads = loss_and_grads(model, batch, **extra)
    assert expected.logits is not None
    return expected, expected_grads


@pytest.mark.parametrize("num_items_in_batch", [None, 40])
def test_the_fused_loss_equals_the_models_own_without_building_logits(
    model, batch, num_items_in_batch
):
    expected, expected_grads = own_loss(model, batch, num_items_in_batch)
    fuse_loss(model, reference_loss)
    extra = {"num_items_in_batch": num_items_in_batch} if num_items_in_batch else {}
    fused, grads = loss_and_grads(model, batch, **extra)
    assert fused.logits is None  # the loss came from the hidden states, not the logits
    torch.testing.assert_close(fused.loss, expected.loss)
    assert grads.keys() == expected_grads.keys() and "lm_head.weight" in grads
    for name, grad in grads.items():
        torch.testing.assert_close(grad, expected_grads[name], rtol=1e-4, atol=1e-6)
    if num_items_in_batch:  # a sum over the accumulated batch's supervised tokens, not a mean
        supervised = int((batch["labels"][:, 1:] != -100).sum())
        assert supervised != num_items_in_batch
        model.eval()
        with torch.no_grad():
            mean = model(**batch).loss
        torch.testing.assert_close(fused.loss * num_items_in_batch / supervised, mean)


def test_evaluation_and_generation_keep_the_models_own_forward(model, batch):
    model.eval()
    with torch.no_grad():
        expected = model(**batch)
    fuse_loss(model, reference_loss)
    with torch.no_grad():
        kept = model(**batch)
    torch.testing.assert_close(kept.logits, expected.logits)
    torch.testing.assert_close(kept.loss, expected.loss)
    ids = batch["input_ids"][:1, :8]
    assert model.generate(ids, max_new_tokens=3, do_sample=False).shape == (1, 11)


def test_the_trainer_still_passes_num_items_in_batch_to_the_patched_forward(model, tmp_path):
    fuse_loss(model, reference_loss)
    args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to=[])
    assert Trainer(model=model, args=args).model_accepts_loss_kwargs


def test_liger_loss_with_a_torch_kernel_equals_the_models_own(model, batch, monkeypatch):
    """Liger's own LigerForCausalLMLoss (its shift, flattening and num_items_in_batch), with a
    torch stand-in for the Triton kernel it calls."""
    import liger_kernel.transformers.functional as liger_functional
    from liger_kernel.transformers.model.loss_utils import LigerForCausalLMLoss

    def torch_kernel(input, weight, target, ignore_index=-100, reduction="mean", **_):
        logits = input.float() @ weight.float().T
        return F.cross_entropy(logits, target, ignore_index=ignore_index, reduction=reduction)

    monkeypatch.setattr(liger_functional, "liger_fused_linear_cross_entropy", torch_kernel)
    expected, expected_grads = own_loss(model, batch, 40)
    fuse_loss(model, LigerForCausalLMLoss)
    fused, grads = loss_and_grads(model, batch, num_items_in_batch=40)
    assert fused.logits is None
    torch.testing.assert_close(fused.loss, expected.loss)
    for name, grad in grads.items():
        torch.testing.assert_close(grad, expected_grads[name], rtol=1e-4, atol=1e-6)


def refusal(model) -> JobFailure:
    with pytest.raises(JobFailure) as caught:
        apply_liger(model)
    assert caught.value.type == "liger_unavailable"
    assert caught.value.param == "use_liger_kernel" and caught.value.hint
    return caught.value


@pytest.mark.skipif(torch.cuda.is_available(), reason="asserts the no-GPU path")
def test_apply_liger_refuses_the_cpu(model):
    assert model.config.text_config.model_type == "ministral3"
    assert "need a GPU" in refusal(model).message


def test_apply_liger_refuses_a_missing_package(model, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        liger.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "liger_kernel" else real(name, *a),
    )
    failure = refusal(model)
    assert "liger-kernel is not installed" in failure.message
    assert "c64ft[gpu-speed]" in (failure.hint or "")


def test_apply_liger_refuses_a_text_tower_it_does_not_fit(model):
    model.config.text_config.model_type = "gemma3_text"
    failure = refusal(model)
    assert "'gemma3_text'" in failure.message and "ministral3" in failure.message


@pytest.mark.slow  # builds the sample workspace
@pytest.mark.skipif(torch.cuda.is_available(), reason="asserts the no-GPU path")
def test_a_train_job_with_liger_on_the_cpu_fails_before_any_work(sample_workspace, tmp_path):
    from tests.conftest import copy_workspace
    from tests.core.training.test_train import train

    workspace = copy_workspace(sample_workspace, tmp_path / "ws")
    with pytest.raises(JobFailure) as caught:
        train(workspace, phase="sft", use_liger_kernel=True)
    assert (caught.value.type, caught.value.param) == ("liger_unavailable", "use_liger_kernel")
    assert not (workspace / "models/ft").exists()  # no output folder was claimed


def test_apply_liger_patches_the_text_tower_of_a_peft_model(model, monkeypatch):
    """Which modules Liger's Mistral path patches on our tower (the kernels themselves launch
    only on a GPU)."""
    from liger_kernel.transformers.rms_norm import LigerRMSNorm
    from liger_kernel.transformers.swiglu import LigerSwiGLUMLP
    from peft import LoraConfig, get_peft_model
    from transformers.models.mistral import modeling_mistral

    for name in ("MistralRMSNorm", "MistralMLP"):  # Liger also swaps these classes globally
        monkeypatch.setattr(modeling_mistral, name, getattr(modeling_mistral, name))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    peft_model = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj"]))
    assert apply_liger(peft_model, fused_loss=True) == [
        "rms_norm",
        "swiglu",
        "fused_linear_cross_entropy",
    ]
    tower = model.model.language_model
    for layer in tower.layers:
        assert layer.mlp.forward.__func__ is LigerSwiGLUMLP.forward
        assert layer.input_layernorm.forward.__func__ is LigerRMSNorm.forward
    assert tower.norm.forward.__func__ is LigerRMSNorm.forward
    vision = model.model.vision_tower
    assert all(
        type(m).forward is m.forward.__func__ for m in vision.modules() if hasattr(m, "weight")
    )
    assert model.forward.__wrapped__.__func__ is Mistral3ForConditionalGeneration.forward
