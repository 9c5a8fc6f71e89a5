"""The chat template: prompts are exact prefixes, and only assistant content + EOS is supervised.

Checked twice for the supervised tokens: with transformers' own assistant mask, and through the
path training takes (TRL's SFTTrainer tokenizing a `messages` dataset for assistant-only loss).
"""

import math

import pytest
from datasets import Dataset
from jinja2 import TemplateError
from transformers import AutoTokenizer, Mistral3ForConditionalGeneration
from trl import SFTConfig, SFTTrainer
from trl.chat_template_utils import is_chat_template_stop_token_trained

from core.chat_template import (
    DEFAULT_TEMPLATE,
    has_generation_blocks,
    load_template,
    prefix_violations,
)

SYSTEM = "You are an expert on the Commodore 64.\nAnswer precisely."
SINGLE = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": "How do I make the border black?"},
    {
        "role": "assistant",
        "content": "[THINK]The border colour is VIC-II register $D020, "
        "53280 in decimal; colour 0 is black.[/THINK]Type POKE 53280,0 and press RETURN.",
    },
]
MULTI = SINGLE + [
    {"role": "user", "content": "And the background, in assembly?"},
    {
        "role": "assistant",
        "content": "[THINK]The background is $D021, next to $D020.[/THINK]"
        "LDA #$00\nSTA $D021\nRTS  ; or POKE 53281,0 from BASIC",
    },
]
CONVERSATIONS = pytest.mark.parametrize("messages", [SINGLE, MULTI], ids=["single", "multi"])


@pytest.fixture(scope="module")
def template() -> str:
    return load_template(DEFAULT_TEMPLATE)


@pytest.fixture(scope="module")
def tokenizer(tiny_model, template):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    tokenizer.chat_template = template
    return tokenizer


def render(tokenizer, messages, *, prompt: bool = False) -> str:
    return tokenizer.apply_chat_template(messages, add_generation_prompt=prompt, tokenize=False)


def ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False).input_ids


def expected_supervised(tokenizer, messages) -> list[int]:
    """Each assistant turn's content tokens and its EOS, in order: all that may carry loss."""
    return [
        token
        for m in messages
        if m["role"] == "assistant"
        for token in ids(tokenizer, m["content"]) + [tokenizer.eos_token_id]
    ]


def test_renders_mistral3_turns_with_no_whitespace_of_its_own(tokenizer):
    turns = [m["content"] for m in MULTI]
    assert render(tokenizer, MULTI) == (
        f"<s>[SYSTEM_PROMPT]{turns[0]}[/SYSTEM_PROMPT][INST]{turns[1]}[/INST]{turns[2]}</s>"
        f"[INST]{turns[3]}[/INST]{turns[4]}</s>"
    )
    assert render(tokenizer, MULTI[:2], prompt=True) == render(tokenizer, MULTI[:2])


def test_list_content_renders_as_its_text_parts(tokenizer):
    parts = [
        {"type": "text", "text": "How do I make "},
        {"type": "image"},
        {"type": "text", "text": "the border black?"},
    ]
    as_parts = [SINGLE[0], {"role": "user", "content": parts}, SINGLE[2]]
    assert render(tokenizer, as_parts) == render(tokenizer, SINGLE)


@CONVERSATIONS
def test_prompt_is_a_text_and_token_prefix_at_every_assistant_turn(tokenizer, template, messages):
    whole = render(tokenizer, messages)
    turns = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    assert len(turns) == (1 if messages is SINGLE else 2)
    for i in turns:
        prompt, turn = (
            render(tokenizer, messages[:i], prompt=True),
            render(tokenizer, messages[: i + 1]),
        )
        assert prompt.endswith("[/INST]")
        assert turn.startswith(prompt) and whole.startswith(turn)
        prompt_ids = ids(tokenizer, prompt)
        assert ids(tokenizer, turn)[: len(prompt_ids)] == prompt_ids
        assert ids(tokenizer, whole)[: len(prompt_ids)] == prompt_ids
    assert prefix_violations(tokenizer, template, messages) == []


@CONVERSATIONS
def test_assistant_mask_is_exactly_content_and_eos(tokenizer, messages):
    out = tokenizer.apply_chat_template(
        messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    assert out["input_ids"] == ids(tokenizer, render(tokenizer, messages))
    masked = [t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m]
    assert masked == expected_supervised(tokenizer, messages)
    assert "POKE 53280,0" in tokenizer.decode(masked) and "$D020" in tokenizer.decode(masked)


def test_trl_sft_supervises_exactly_content_and_eos(tiny_model, tokenizer, tmp_path):
    """The setup training uses: the tokenizer (not a processor) as processing_class, the
    template on it, a `messages` dataset; TRL turns the assistant mask into `labels`."""
    assert is_chat_template_stop_token_trained(tokenizer)
    args = SFTConfig(
        output_dir=str(tmp_path),
        assistant_only_loss=True,
        max_steps=1,
        per_device_train_batch_size=2,
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,
        report_to=[],
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
    )
    trainer = SFTTrainer(
        model=Mistral3ForConditionalGeneration.from_pretrained(tiny_model),
        args=args,
        train_dataset=Dataset.from_list([{"messages": SINGLE}, {"messages": MULTI}]),
        processing_class=tokenizer,
    )
    assert trainer.chat_template is None  # TRL kept our template rather than patching its own
    rows = list(trainer.train_dataset)
    assert len(rows) == 2
    for row in rows:
        assert row["input_ids"] == ids(tokenizer, render(tokenizer, row["messages"]))
        supervised = [label for label in row["labels"] if label != -100]
        assert supervised == expected_supervised(tokenizer, row["messages"])
    trainer.train()
    assert math.isfinite(trainer.state.log_history[0]["loss"])


def test_generation_blocks_are_detected(template):
    assert has_generation_blocks(template)
    assert has_generation_blocks("{% generation %}{{ m }}{% endgeneration %}")
    assert has_generation_blocks("{%- generation -%}\n{{ m }}\n{%+ endgeneration +%}")
    assert not has_generation_blocks("{{ bos_token }}{% for m in messages %}{{ m }}{% endfor %}")
    assert not has_generation_blocks("{# use {% generation %}…{% endgeneration %} #}{{ m }}")
    assert not has_generation_blocks("{% generation %}{{ m }}")


def test_newline_only_in_the_generation_prompt_is_a_violation(tokenizer, template):
    bad = template + "{%- if add_generation_prompt -%}{{ '\\n' }}{%- endif -%}"
    problems = prefix_violations(tokenizer, bad, MULTI)
    assert len(problems) == 2
    assert "message 2" in problems[0] and "message 4" in problems[1]
    assert all("not a text prefix" in p and "'\\n'" in p for p in problems)


def test_tokens_merging_across_the_prompt_boundary_is_a_violation(tokenizer, template):
    user_turn = "[INST]{{- render_content(message.content) -}}[/INST]"
    bad = template.replace(user_turn, user_turn + "{{ ' ' }}")  # a space after every [/INST]
    assert bad != template
    messages = [
        {"role": "user", "content": "Border?"},
        {"role": "assistant", "content": "POKE 53280,0"},
    ]
    (problem,) = prefix_violations(tokenizer, bad, messages)
    assert "not a token prefix" in problem


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        ([SINGLE[1], SINGLE[0]], "system message must be the first"),
        ([{"role": "tool", "content": "53280"}], "got role tool"),
    ],
    ids=["system-not-first", "unknown-role"],
)
def test_misplaced_system_and_unknown_roles_are_refused(tokenizer, template, messages, error):
    with pytest.raises(TemplateError, match=error):
        render(tokenizer, messages)
    (problem,) = prefix_violations(tokenizer, template, [*messages, SINGLE[2]])
    assert "cannot render" in problem and error in problem
