"""A randomly initialised model of the real architecture, built offline in seconds for tests."""

from collections.abc import Iterable
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    GenerationConfig,
    Ministral3Config,
    Mistral3Config,
    Mistral3ForConditionalGeneration,
    PixtralVisionConfig,
    PreTrainedTokenizerFast,
)

from core.pipeline.phrasing import QUESTIONS, TASKS, TRACES
from core.pipeline.readers import UnreadableFile, read_html, read_pdf
from core.prompts import C64_SPECIALIZATION, FALLBACK_BASE_PROMPT
from core.publish import publishing_dir
from core.sample_corpus import sample_corpus_dir

CONTROL_TOKENS = [
    "<unk>",
    "<s>",
    "</s>",
    "<pad>",
    "[INST]",
    "[/INST]",
    "[SYSTEM_PROMPT]",
    "[/SYSTEM_PROMPT]",
    "[THINK]",
    "[/THINK]",
]
# Image placeholders as in the real tokenizer: the vision tower needs an id of its own.
IMAGE_TOKENS = ["[IMG]", "[IMG_BREAK]", "[IMG_END]"]
SYSTEM_PROMPT = (
    "You are a helpful assistant and an expert on the Commodore 64. Think the question through, "
    "then answer precisely, citing registers, addresses and BASIC or assembly where they help.\n"
)
MAX_POSITIONS = 4096
# The real model's YaRN shape (factor 16), with the original context scaled to MAX_POSITIONS.
ROPE = {
    "rope_type": "yarn",
    "rope_theta": 1e6,
    "factor": 16.0,
    "beta_fast": 32.0,
    "beta_slow": 1.0,
    "mscale": 1.0,
    "mscale_all_dim": 1.0,
    "llama_4_scaling_beta": 0.1,
    "original_max_position_embeddings": MAX_POSITIONS // 16,
    "max_position_embeddings": MAX_POSITIONS,
}


class CorpusError(ValueError):
    """The corpus folder is missing or yields no text to train the tokenizer on."""


def corpus_texts(corpus_dir: Path) -> list[str]:
    """Text of every PDF and HTML file under a folder (unreadable files are left out).

    Args:
        corpus_dir: folder searched recursively.

    Returns:
        One string per file that has text, in path order (so builds are deterministic).
    """
    texts = []
    for path in sorted(corpus_dir.rglob("*")):
        reader = {".pdf": read_pdf, ".html": read_html, ".htm": read_html}.get(path.suffix.lower())
        try:
            text = "\n".join(reader(path)[1]) if reader else ""
        except UnreadableFile:
            continue
        if text.strip():
            texts.append(text)
    return texts


def build_tokenizer(texts: Iterable[str], vocab_size: int = 2048) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE (GPT-2's pre-tokenizer, which llama.cpp knows as "gpt-2") in
    which each control token is one special token.

    Args:
        texts: training text.
        vocab_size: largest vocabulary; a small corpus gives fewer merges.

    Returns:
        The tokenizer, with bos `<s>`, eos `</s>`, pad `<pad>` and unk `<unk>`.
    """
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=CONTROL_TOKENS + IMAGE_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )


def _build_config(tokenizer: PreTrainedTokenizerFast) -> Mistral3Config:
    """The real architecture (ministral3 text, pixtral vision), tiny. The text tower is twice as
    wide and deep as the first design's 64 x 2: at that size, full SFT on the sample corpus left the
    THINK shape of a follow-up turn to chance (3-7 of 10 held-out follow-ups kept it, whatever
    the steps); at 128 x 4 it keeps it (bench/RESULTS.md, "Tiny model")."""
    text = Ministral3Config(
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=32,
        vocab_size=len(tokenizer),
        max_position_embeddings=MAX_POSITIONS,
        rope_parameters=dict(ROPE),
        tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    vision = PixtralVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=64,
        patch_size=16,
    )
    return Mistral3Config(
        text_config=text,
        vision_config=vision,
        image_token_index=tokenizer.get_vocab()["[IMG]"],
        tie_word_embeddings=False,
    )


def make_tiny_model(
    output_dir: Path, *, corpus_dir: Path | None = None, seed: int = 0, force: bool = False
) -> Path:
    """Build a random tiny model and its tokenizer, and publish the folder atomically.

    Args:
        output_dir: folder to create; an existing non-empty one is replaced only with `force`.
        corpus_dir: *.html and *.pdf to train the tokenizer on; default the bundled sample.
        seed: torch seed for the weights; the same seed and corpus give the same files.
        force: replace an existing non-empty `output_dir`.

    Returns:
        `output_dir`, holding safetensors weights, config, tokenizer and SYSTEM_PROMPT.txt.
    """
    output_dir = Path(output_dir)
    if output_dir.exists() and not force and not _is_empty_dir(output_dir):
        raise FileExistsError(f"{output_dir} exists and is not empty; use --force to replace it")
    texts = _require_texts(corpus_dir or sample_corpus_dir()) + project_wording()
    tokenizer = build_tokenizer(texts)
    with torch.random.fork_rng(devices=[]):  # leaves the caller's random state as it was
        torch.manual_seed(seed)
        model = Mistral3ForConditionalGeneration(_build_config(tokenizer))
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with publishing_dir(output_dir, kind="make-tiny-model", replace_unmarked=force) as staging:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        (staging / "SYSTEM_PROMPT.txt").write_text(SYSTEM_PROMPT)
        for path in staging.iterdir():  # safetensors writes its file private to its owner
            path.chmod(0o644)
    return output_dir


def project_wording() -> list[str]:
    """The fixed English every prompt and SFT example is made of (system prompts, question and
    trace templates). The tokenizer learns it too, so that, as in a real tokenizer trained on
    far more text, these words are whole tokens rather than fragments of a C64-only vocabulary."""
    texts = [C64_SPECIALIZATION, FALLBACK_BASE_PROMPT, SYSTEM_PROMPT]
    texts += [t.format(task=task, topic="") for t in TRACES for task in TASKS.values()]
    texts += [q.format(topic="") for questions in QUESTIONS.values() for q in questions]
    return texts


def _require_texts(corpus_dir: Path) -> list[str]:
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; pass --corpus DIR")
    texts = corpus_texts(corpus_dir)
    if not texts:
        raise CorpusError(f"no text in any *.html or *.pdf under {corpus_dir}; pass --corpus DIR")
    return texts


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())
