import json
import random

from core.pipeline import content, phrasing
from core.pipeline.sft import examples_for_page
from core.prompts import system_prompt
from core.think import think_shape
from tests.core.pipeline.conftest import build
from tests.core.pipeline.corpus import technical_page, write_pdf

TOC = "Contents\n" + "\n".join(f"Chapter {i} The SID chip ........ {i * 7}" for i in range(1, 12))
LEGAL = (
    "Copyright 2026 the c64ft authors. All rights reserved. This booklet may be copied "
    "for personal use. Commodore 64 is a trademark of its owner. " * 2
)
INDEX_WORDS = ["Border", "Sprite", "Filter", "Timer", "Voice", "Raster"] * 3
INDEX = "\n".join(f"{w} register, {i}, {i + 3}, {i + 9}" for i, w in enumerate(INDEX_WORDS))


def test_non_technical_pages_are_skipped():
    assert content.skip_reason(TOC) == "table_of_contents"
    assert content.skip_reason(LEGAL) == "legal_notice"
    assert content.skip_reason(INDEX) == "index"
    assert content.skip_reason("1 2 3 4 5 " * 30) == "mostly_numbers"
    assert content.skip_reason(technical_page(random.Random(0))) is None


def test_a_page_gives_explain_address_map_and_two_turn_examples(tmp_path):
    page = {
        "doc_id": "doc-x",
        "source_file": "x.pdf",
        "page_number": 3,
        "title": "X",
        "text": "Raster interrupts\n" + technical_page(random.Random(1)),
    }
    system = system_prompt(tmp_path)
    examples = examples_for_page(page, system, "train", limit=3)
    assert [e["id"] for e in examples] == [
        "doc-x-p0003-explain",
        "doc-x-p0003-address_map",
        "doc-x-p0003-follow_up",
    ]
    for example in examples:
        assert example["messages"][0] == {"role": "system", "content": system}
        assert example["source_refs"] == [{"source_file": "x.pdf", "page_number": 3}]
        for message in example["messages"][2::2]:
            assert message["role"] == "assistant" and think_shape(message["content"]).well_formed
    assert "Raster interrupts" in examples[0]["messages"][1]["content"]
    assert examples[1]["messages"][2]["content"].count("\n- $") >= 2
    assert [m["role"] for m in examples[2]["messages"]] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    assert examples_for_page(page, system, "train", limit=1) == examples[:1]
    assert examples_for_page(page, system, "train", limit=3) == examples  # deterministic


def test_traces_come_from_at_least_ten_templates_that_name_the_task():
    assert len(phrasing.TRACES) >= 10
    for template in phrasing.TRACES:
        assert "{task}" in template
    picked = {phrasing.trace("explain", "sprites", f"key-{i}") for i in range(200)}
    assert len(picked) == len(phrasing.TRACES)
    assert all("an explanation" in t.lower() for t in picked)


def test_system_prompt_starts_with_the_models_own(tmp_path):
    (tmp_path / "SYSTEM_PROMPT.txt").write_text("You are Ministral.\n")
    prompt = system_prompt(tmp_path)
    assert prompt.startswith("You are Ministral.\n\n") and "[THINK]" in prompt
    assert system_prompt(tmp_path / "absent").startswith("You are a helpful")


def test_jsonl_examples_skip_front_matter(workspace):
    rng = random.Random(9)
    write_pdf(workspace / "c64_docs/m.pdf", [TOC, LEGAL] + [technical_page(rng) for _ in range(3)])
    result, _ = build(workspace, stages=["manifest", "extract", "normalize", "dedup", "build_sft"])
    counts = result["stages"]["build_sft"]
    # The short legal notice is under the quality gate, which is checked first.
    assert counts["pages_skipped"] == {"low_quality": 1, "table_of_contents": 1}
    assert counts["pages_used"] == 3
    sft = workspace / "data/processed/sft"
    rows = [
        json.loads(line)
        for split in ("train", "validation", "test")
        for line in (sft / f"{split}.jsonl").read_text().splitlines()
    ]
    assert len(rows) == counts["sft_examples"]["total"] == 9
    assert all(set(r) == {"id", "doc_id", "messages", "source_refs", "split"} for r in rows)
    assert all(r["source_refs"][0]["page_number"] >= 3 for r in rows)


def test_answers_are_cut_at_a_sentence_or_address_within_answer_chars(tmp_path):
    page = {
        "doc_id": "doc-x",
        "source_file": "x.pdf",
        "page_number": 3,
        "title": "X",
        "text": "Raster interrupts\n" + technical_page(random.Random(1)),
    }
    full = examples_for_page(page, "system", "train", limit=3)
    short = examples_for_page(page, "system", "train", limit=3, chars=200)
    answers = [
        [think_shape(m["content"]).answer for m in example["messages"][2::2]]
        for example in (full[0], short[0], full[1], short[1])
    ]
    (explain,), (explain_short,), (addresses,), (addresses_short,) = answers
    assert explain.startswith(explain_short) and len(explain_short) <= 200 < len(explain)
    heading, *lines = addresses_short.split("\n")
    assert addresses.startswith(addresses_short) and len("\n".join(lines)) <= 200
    assert all(line.startswith("- $") for line in lines)
    assert short[2]["messages"][4]["content"].count("[THINK]") == 1  # the follow-up keeps its shape


def test_phrasings_word_each_example_again_with_the_same_answer():
    page = {
        "doc_id": "doc-x",
        "source_file": "x.pdf",
        "page_number": 3,
        "title": "X",
        "text": "Raster interrupts\n" + technical_page(random.Random(1)),
    }
    once = examples_for_page(page, "system", "train", limit=2)
    thrice = examples_for_page(page, "system", "train", limit=2, phrasings=3)
    assert [e["id"] for e in thrice] == [
        "doc-x-p0003-explain",
        "doc-x-p0003-explain-v1",
        "doc-x-p0003-explain-v2",
        "doc-x-p0003-address_map",
        "doc-x-p0003-address_map-v1",
        "doc-x-p0003-address_map-v2",
    ]
    assert [thrice[0], thrice[3]] == once  # the first wording is the one without phrasings
    explains = thrice[:3]
    answers = {think_shape(e["messages"][2]["content"]).answer for e in explains}
    wordings = {
        (e["messages"][1]["content"], think_shape(e["messages"][2]["content"]).trace)
        for e in explains
    }
    assert len(answers) == 1 and len(wordings) == 3
