"""Liger-Kernel's Triton kernels on the language tower of Mistral3ForConditionalGeneration.

Liger (0.8.5) has no entry for model_type mistral3, so Hugging Face's and TRL's own
`use_liger_kernel` would do nothing on our model; its Mistral path fits our text tower
(ministral3: the same RMSNorm and SiLU-gated MLP) and is applied to that tower here.
RoPE is left alone (Ministral 3 scales it with YaRN, which Liger's kernel does not).
"""

import functools
import importlib.util
from collections.abc import Callable
from typing import Any

import torch

from core.errors import JobFailure

PACKAGE = "liger-kernel"
# Text towers whose decoder layers Liger's Mistral path patches as they are.
TEXT_MODEL_TYPES = {"ministral3", "mistral", "ministral"}
INSTALL_HINT = (
    "Install it on the worker (pip install 'c64ft[gpu-speed]', which needs a GPU build of "
    "torch with Triton), or set use_liger_kernel false."
)


def _unavailable(message: str, hint: str = INSTALL_HINT) -> JobFailure:
    return JobFailure("liger_unavailable", message, hint=hint, param="use_liger_kernel")


def check_available(text_config: Any) -> None:
    """Raise `liger_unavailable` unless Liger can patch a tower of this text config here:
    a supported model type with SiLU-gated MLPs, a GPU for Triton, the package installed."""
    model_type = getattr(text_config, "model_type", None)
    if model_type not in TEXT_MODEL_TYPES or text_config.hidden_act not in ("silu", "swish"):
        raise _unavailable(
            f"use_liger_kernel: the text model type {model_type!r} (activation "
            f"{text_config.hidden_act!r}) is not one Liger's Mistral kernels fit (model types "
            f"{', '.join(sorted(TEXT_MODEL_TYPES))} with SiLU)",
            hint="Set use_liger_kernel false for this model.",
        )
    if not torch.cuda.is_available():
        raise _unavailable(
            "use_liger_kernel: Liger's Triton kernels need a GPU, and this worker has none",
            hint="Run the job on a GPU worker, or set use_liger_kernel false.",
        )
    if importlib.util.find_spec("liger_kernel") is None:
        raise _unavailable(f"use_liger_kernel: {PACKAGE} is not installed where the job runs")


def apply_liger(model, *, fused_loss: bool = False) -> list[str]:
    """Patch Liger's RMSNorm and SwiGLU kernels into the language tower of `model` (a
    Mistral3ForConditionalGeneration, or a PEFT model around one), and with `fused_loss` its
    fused linear cross-entropy into the training loss (never with TRL's SFTTrainer: it computes
    its loss with its own fused LM head, without the full logits, and refuses Liger's).

    Args:
        model: the model, before training starts (its parameters may still be on the CPU).
        fused_loss: also replace the loss of a training forward with labels (DAPT).

    Returns:
        The names of what was patched.

    Raises:
        JobFailure: `liger_unavailable` when the package, a GPU or a supported tower is missing.
    """
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    check_available(base.config.get_text_config())
    from liger_kernel.transformers import apply_liger_kernel_to_mistral
    from liger_kernel.transformers.model.loss_utils import LigerForCausalLMLoss

    # With `model=`, Liger patches the modules of this instance (and, as a side effect, the
    # classes of transformers' mistral module, which this model does not use).
    apply_liger_kernel_to_mistral(
        rope=False,
        cross_entropy=False,
        fused_linear_cross_entropy=False,
        rms_norm=True,
        swiglu=True,
        model=base.model.language_model,
    )
    patched = ["rms_norm", "swiglu"]
    if fused_loss:
        fuse_loss(base, LigerForCausalLMLoss)
        patched.append("fused_linear_cross_entropy")
    return patched


def fuse_loss(model, loss: Callable[..., torch.Tensor]) -> None:
    """Make a training forward with labels compute `loss` (Liger's `LigerForCausalLMLoss`
    signature) from the last hidden states and the LM head's weight, never the logits; other
    calls (evaluation, generation) run the model's own forward.

    The Trainer passes `num_items_in_batch` (the supervised tokens of the whole accumulated
    batch) as a keyword: the loss is then their sum over it, as the model's own loss is.
    """
    original = model.forward
    hidden_size = model.config.get_text_config().hidden_size

    @functools.wraps(original)  # keeps the signature: the Trainer reads **kwargs from it
    def forward(*args, labels=None, **kwargs):
        if args or labels is None or not model.training:
            return original(*args, labels=labels, **kwargs)
        kwargs.pop("logits_to_keep", None)  # every position has a label to score
        shift_labels = kwargs.pop("shift_labels", None)
        num_items_in_batch = kwargs.pop("num_items_in_batch", None)
        outputs = model.model(**kwargs)
        value = loss(
            hidden_states=outputs.last_hidden_state,
            lm_head_weight=model.lm_head.weight,
            labels=labels,
            shift_labels=shift_labels,
            hidden_size=hidden_size,
            num_items_in_batch=num_items_in_batch,
        )
        return _output(value, outputs)

    model.forward = forward


def _output(loss: torch.Tensor, outputs):
    from transformers.models.mistral3.modeling_mistral3 import Mistral3CausalLMOutputWithPast

    return Mistral3CausalLMOutputWithPast(
        loss=loss,
        logits=None,
        cache=getattr(outputs, "cache", None),
        hidden_states=outputs.hidden_states,
        attentions=outputs.attentions,
        image_outputs=getattr(outputs, "image_outputs", None),
    )
