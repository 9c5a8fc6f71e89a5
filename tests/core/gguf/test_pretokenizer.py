"""Which llama.cpp pre-tokenizer a tokenizer.json declares, by its structure."""

import json

from core.gguf.pretokenizer import declared_pre_tokenizer
from core.tiny_model import build_tokenizer


def parsed(tokenizer) -> dict:
    return json.loads(tokenizer.backend_tokenizer.to_str())


def test_the_tiny_tokenizer_is_tekken_shaped():
    assert declared_pre_tokenizer(parsed(build_tokenizer(["POKE 53280,0"]))) == "tekken"


def test_another_split_or_merge_rule_is_not_declared():
    tokenizer = parsed(build_tokenizer(["POKE 53280,0"]))
    gpt2 = {**tokenizer, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False}}
    assert declared_pre_tokenizer(gpt2) is None
    merges_first = {**tokenizer, "model": {**tokenizer["model"], "ignore_merges": False}}
    assert declared_pre_tokenizer(merges_first) is None
    assert declared_pre_tokenizer({}) is None
