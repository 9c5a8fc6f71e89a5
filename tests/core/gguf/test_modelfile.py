"""The Ollama Modelfile of an exported GGUF: Ollama reads back what was meant, and its TEMPLATE
renders every conversation as the project's chat template does, less the `<s>` Ollama adds."""

import pytest

from core.chat_template import DEFAULT_TEMPLATE, load_template
from core.gguf.modelfile import modelfile
from core.prompts import system_prompt
from core.tiny_model import build_tokenizer
from tests.core.gguf.gotemplate import render
from tests.core.gguf.ollama import chat_values, parse_modelfile

SYSTEM = system_prompt(None)
GGUF = "c64-Q4_K_M.gguf"
USER = {"role": "user", "content": "How do I make the border black?"}
REPLY = {
    "role": "assistant",
    "content": "[THINK]The border colour is VIC-II register $D020, 53280 in decimal; "
    "colour 0 is black.[/THINK]Type POKE 53280,0 and press RETURN.",
}
AGAIN = {"role": "user", "content": "And the background, in assembly?\n"}


@pytest.fixture(scope="module")
def tokenizer():
    tokenizer = build_tokenizer([SYSTEM, USER["content"], REPLY["content"]], vocab_size=300)
    tokenizer.chat_template = load_template(DEFAULT_TEMPLATE)
    return tokenizer


def project_render(tokenizer, messages, **options) -> str:
    """The project's chat template rendering, without the BOS the runtime adds."""
    options = {"add_generation_prompt": True, **options}
    text = tokenizer.apply_chat_template(messages, tokenize=False, **options)
    assert text.startswith("<s>")
    return text.removeprefix("<s>")


def ollama_render(request: list[dict[str, str]]) -> str:
    """What Ollama sends the model for an /api/chat request to the model this Modelfile makes."""
    commands = dict(parse_modelfile(modelfile(GGUF, SYSTEM)))
    return render(commands["template"], chat_values(commands.get("system", ""), request))


def test_the_reader_follows_ollamas_grammar():
    # Checked against parser.go's ParseFile: keywords in any case, comments only as whole lines.
    text = 'from ./a.gguf\n  # note\nParameter stop "[INST]"  \nsystem """one\n# two"""\n'
    assert parse_modelfile(text) == [
        ("from", "./a.gguf"),
        ("stop", "[INST]"),
        ("system", "one\n# two"),
    ]


@pytest.mark.parametrize(
    "system", [SYSTEM, 'Ends in a quote: "', "\n# not a comment\n\tand a tab\n", ""]
)
def test_ollama_reads_back_what_was_written(system):
    commands = parse_modelfile(modelfile(GGUF, system, ctx_size=8192))
    values = dict(commands)
    assert values["from"] == f"./{GGUF}"
    assert values["system"] == system
    assert [v for name, v in commands if name == "stop"] == ["</s>", "[INST]"]
    assert values["num_ctx"] == "8192"
    assert values["temperature"] == "0"


@pytest.mark.parametrize(
    ("request_messages", "conversation"),
    [
        pytest.param(
            [{"role": "system", "content": SYSTEM}, USER, REPLY, AGAIN],
            [{"role": "system", "content": SYSTEM}, USER, REPLY, AGAIN],
            id="two turns, system prompt in the request",
        ),
        pytest.param(
            [USER, REPLY, AGAIN],
            [{"role": "system", "content": SYSTEM}, USER, REPLY, AGAIN],
            id="two turns, system prompt from SYSTEM",
        ),
        pytest.param([USER], [{"role": "system", "content": SYSTEM}, USER], id="one turn"),
        pytest.param(
            [{"role": "system", "content": "Answer in German."}, USER],
            [{"role": "system", "content": "Answer in German."}, USER],
            id="the request's system prompt replaces SYSTEM",
        ),
    ],
)
def test_template_renders_as_the_chat_template(tokenizer, request_messages, conversation):
    assert ollama_render(request_messages) == project_render(tokenizer, conversation)


def test_a_last_assistant_message_is_continued(tokenizer):
    prefill = {"role": "assistant", "content": "[THINK]The border colour is"}
    expected = project_render(
        tokenizer,
        [{"role": "system", "content": SYSTEM}, USER, prefill],
        add_generation_prompt=False,
        continue_final_message=True,
    )
    assert ollama_render([USER, prefill]) == expected


def test_the_system_prompt_comes_once_and_first():
    # The chat template refuses a late system message; Ollama cannot refuse, so it is folded in.
    rendered = ollama_render([USER, {"role": "system", "content": "Be brief."}, AGAIN])
    assert rendered.startswith(f"[SYSTEM_PROMPT]{SYSTEM}\n\nBe brief.[/SYSTEM_PROMPT][INST]")
    assert rendered.count("[SYSTEM_PROMPT]") == 1


@pytest.mark.parametrize(
    ("gguf_file", "system", "message"),
    [
        (GGUF, 'Say """hello"""', '"""'),
        (GGUF, "no-break\u00a0space", "drops"),
        (GGUF, "zero\u200bwidth", "drops"),
        ("out/c64.gguf", SYSTEM, "name of the .gguf file"),
    ],
)
def test_refuses_what_a_modelfile_cannot_carry(gguf_file, system, message):
    with pytest.raises(ValueError, match=message):
        modelfile(gguf_file, system)
