"""Token parity: llama.cpp's tokenizer, read from a GGUF file, must give the ids the Hugging Face
tokenizer gives on the texts the model is prompted with, or the exported model is prompted with
other tokens than it was trained on."""

from typing import Any

from core.errors import JobFailure

SHOWN = 6  # ids on each side of the first difference, in the error


def tokenize_gguf(llama: Any, text: str) -> list[int]:
    """Ids of `text` under llama.cpp, control tokens (`<s>`, `[INST]`…) parsed as such."""
    return llama.tokenize(text.encode(), add_bos=False, special=True)


def first_difference(expected: list[int], actual: list[int]) -> int | None:
    """The first position where two id lists differ (a length difference counts), or None."""
    for position, (a, b) in enumerate(zip(expected, actual, strict=False)):
        if a != b:
            return position
    return None if len(expected) == len(actual) else min(len(expected), len(actual))


def check_parity(llama: Any, hf_tokenizer: Any, texts: dict[str, str]) -> dict[str, int]:
    """Compare both tokenizers on every text; the number of ids checked per text.

    Raises:
        JobFailure: `tokenizer_mismatch`, naming the text and the first differing position.
    """
    checked = {}
    for name, text in texts.items():
        expected = hf_tokenizer(text, add_special_tokens=False).input_ids
        check_ids(name, expected, tokenize_gguf(llama, text))
        checked[name] = len(expected)
    return checked


def check_ids(name: str, expected: list[int], actual: list[int]) -> None:
    """Raise `tokenizer_mismatch` unless llama.cpp's ids of the `name` prompt are the HF ones."""
    position = first_difference(expected, actual)
    if position is None:
        return
    window = slice(max(position - SHOWN, 0), position + SHOWN)
    raise JobFailure(
        "tokenizer_mismatch",
        f"llama.cpp tokenizes the {name} prompt differently from the Hugging Face "
        f"tokenizer from position {position}: {expected[window]} (HF) vs "
        f"{actual[window]} (llama.cpp), ids {window.start}-{window.stop - 1}",
        hint="The GGUF file's pre-tokenizer is not the one the model's tokenizer.json "
        "uses: the model would see other tokens than it was trained on. Export a model "
        "whose tokenizer llama.cpp knows.",
    )
