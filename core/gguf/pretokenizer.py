"""Which of llama.cpp's pre-tokenizers a Hugging Face tokenizer uses, read from its structure.

llama.cpp's converter names a tokenizer's pre-tokenizer by hashing the ids it gives on a fixed
text, so a new vocabulary is unknown to it even when it splits text exactly as a known one
does (the tiny model's). We then declare the name ourselves, by the tokenizer.json's own
pre-tokenizer definition; the export's token-parity check proves the claim.
"""

from typing import Any

# Tekken (Mistral's tokenizer, Ministral 3's): this split regex, then bytes mapped to
# characters without GPT-2's regex (llama.cpp's "tekken").
TEKKEN_SPLIT = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
    r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
TEKKEN = [
    {"type": "Split", "pattern": {"Regex": TEKKEN_SPLIT}, "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
]


def declared_pre_tokenizer(tokenizer_json: dict[str, Any]) -> str | None:
    """llama.cpp's name for the pre-tokenizer of a parsed tokenizer.json, or None if unknown."""
    pre = tokenizer_json.get("pre_tokenizer") or {}
    model = tokenizer_json.get("model") or {}
    if (
        pre.get("type") == "Sequence"
        and pre.get("pretokenizers") == TEKKEN
        and model.get("type") == "BPE"
        and model.get("ignore_merges")
    ):
        return "tekken"
    return None
