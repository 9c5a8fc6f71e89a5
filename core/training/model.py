"""The base model, its tokenizer, and the LoRA adapter on the language tower."""

from pathlib import Path

from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoTokenizer, Mistral3ForConditionalGeneration, PreTrainedTokenizerBase
from transformers.utils import is_flash_attn_2_available

from core.errors import JobFailure
from core.kinds.train.spec import LORA_TARGETS, TrainSpec
from core.training.device import Device

FLASH_HINT = (
    "Set attn_implementation sdpa (the default; packing stays padding-free with it), or train "
    "on a CUDA GPU worker whose environment has flash-attn built against its CUDA "
    "(`pip install flash-attn --no-build-isolation`)."
)


def load_pretrained_tokenizer(model_path: Path) -> PreTrainedTokenizerBase:
    """The transformers tokenizer (chat template, padding) that training and generation use;
    `core.tokenizer.load_tokenizer` is the light `tokenizers` one that only counts tokens."""
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if tokenizer.pad_token is None:  # padding needs a token; EOS is masked out of the labels
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def check_attention(spec: TrainSpec, device: Device) -> None:
    """Refuse an attention kernel the device cannot run, naming the field, before any work."""
    if spec.attn_implementation != "flash_attention_2":
        return
    if device.name == "cpu":
        problem = "flash_attention_2 runs on a CUDA GPU only, and this job trains on the CPU"
    elif not is_flash_attn_2_available():
        problem = (
            "flash_attention_2 needs the flash_attn package, which is not installed where the "
            "job runs (or does not fit its torch)"
        )
    else:
        return
    raise JobFailure("attention_unavailable", problem, hint=FLASH_HINT, param="attn_implementation")


def load_model(
    model_path: Path,
    device: Device,
    spec: TrainSpec,
    adapter: Path | None,
    resume: Path | None = None,
):
    """The base model with a new trainable LoRA adapter, or with the trainable adapter at
    `adapter` (SFT after DAPT; the Trainer loads a checkpoint's adapter itself); without LoRA,
    the whole model, from the checkpoint `resume` continues, else from `adapter` when SFT goes
    on from a fully trained DAPT model."""
    if not spec.use_lora:
        # Not the Trainer's resume: it loads a whole model's state dict by its in-memory names,
        # which transformers 5 saves under other ones, so nothing matches and the base weights
        # would silently stay. from_pretrained maps the saved names.
        model_path = resume or adapter or model_path
    check_attention(spec, device)
    model = Mistral3ForConditionalGeneration.from_pretrained(
        model_path, dtype=device.dtype, attn_implementation=spec.attn_implementation
    )
    if spec.gradient_checkpointing:
        model.config.use_cache = False
    if spec.packing:
        # The language tower reads use_cache from its own config (the Trainer turns off only
        # the outer one), and with a cache transformers' masking ignores the position ids that
        # keep packed examples apart: each would attend to those before it in its row.
        model.config.get_text_config().use_cache = False
    if not spec.use_lora:
        return model
    if adapter is not None:
        return PeftModel.from_pretrained(model, adapter, is_trainable=True)
    config = LoraConfig(
        r=spec.lora_r,
        lora_alpha=spec.lora_alpha,
        lora_dropout=spec.lora_dropout,
        target_modules=LORA_TARGETS[spec.lora_scope],
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)
