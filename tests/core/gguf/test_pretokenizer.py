"""Which llama.cpp pre-tokenizer a tokenizer.json declares, by its structure."""

import json

from core.gguf.pretokenizer import GPT2, TEKKEN, declared_pre_tokenizer
from core.tiny_model import build_tokenizer


def tiny() -> dict:
    return json.loads(build_tokenizer(["POKE 53280,0"]).backend_tokenizer.to_str())


def test_the_tiny_tokenizer_is_gpt2_shaped():
    assert tiny()["pre_tokenizer"] == GPT2
    assert declared_pre_tokenizer(tiny()) == "gpt-2"


def test_a_tekken_shaped_tokenizer_is_declared_tekken():
    tokenizer = tiny()
    tekken = {**tokenizer, "pre_tokenizer": TEKKEN}
    tekken["model"] = {**tokenizer["model"], "ignore_merges": True}
    assert declared_pre_tokenizer(tekken) == "tekken"
    tekken["model"]["ignore_merges"] = False  # merges first: not Tekken's rule
    assert declared_pre_tokenizer(tekken) is None


def test_another_split_or_model_is_not_declared():
    tokenizer = tiny()
    prefixed = {**tokenizer, "pre_tokenizer": {**GPT2, "add_prefix_space": True}}
    assert declared_pre_tokenizer(prefixed) is None
    assert declared_pre_tokenizer({**tokenizer, "model": {"type": "Unigram"}}) is None
    assert declared_pre_tokenizer({}) is None
