"""Which of llama.cpp's pre-tokenizers a Hugging Face tokenizer uses, read from its structure.

llama.cpp's converter names a tokenizer's pre-tokenizer by hashing the ids it gives on a fixed
text, so a new vocabulary is unknown to it even when it splits text exactly as a known one
does (the tiny model's, GPT-2's). We then declare the name ourselves, by the tokenizer.json's
own pre-tokenizer definition and merge rule; the export's token-parity check proves the claim.
"""

from typing import Any

# Tekken (Mistral's tokenizer, Ministral 3's): this split regex, then bytes mapped to
# characters without GPT-2's regex (llama.cpp's "tekken").
TEKKEN_SPLIT = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
    r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
TEKKEN = {
    "type": "Sequence",
    "pretokenizers": [
        {
            "type": "Split",
            "pattern": {"Regex": TEKKEN_SPLIT},
            "behavior": "Isolated",
            "invert": False,
        },
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
    ],
}
# GPT-2's: bytes mapped to characters, split by GPT-2's own regex (llama.cpp's "gpt-2").
GPT2 = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
KNOWN = [("tekken", TEKKEN, True), ("gpt-2", GPT2, False)]  # name, pre-tokenizer, ignore_merges


def declared_pre_tokenizer(tokenizer_json: dict[str, Any]) -> str | None:
    """llama.cpp's name for the pre-tokenizer of a parsed tokenizer.json, or None if unknown."""
    model = tokenizer_json.get("model") or {}
    if model.get("type") != "BPE":
        return None
    for name, pre, ignore_merges in KNOWN:
        if (
            tokenizer_json.get("pre_tokenizer") == pre
            and bool(model.get("ignore_merges")) == ignore_merges
        ):
            return name
    return None
