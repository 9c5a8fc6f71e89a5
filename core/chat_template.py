"""The project's Mistral-3 chat template and the checks that make assistant-only loss exact."""

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import JobFailure

if TYPE_CHECKING:  # the API imports core; keep transformers out of its start-up
    from transformers import PreTrainedTokenizerBase

DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "mistral3_chat_template.jinja"

_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)  # a tag quoted in a comment is not a block
_GENERATION_BLOCK = re.compile(
    r"\{%[-+]?\s*generation\s*[-+]?%\}.*?\{%[-+]?\s*endgeneration\s*[-+]?%\}", re.DOTALL
)


def load_template(path: Path) -> str:
    """Read a Jinja chat template.

    Args:
        path: the `.jinja` file.

    Returns:
        Its text, exactly as written (no newline added or stripped).

    Raises:
        JobFailure: `chat_template_invalid`, the file is not readable UTF-8 text.
    """
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JobFailure(
            "chat_template_invalid",
            f"{Path(path).name} is not a readable UTF-8 text file ({type(exc).__name__})",
            hint="Point chat_template_path at a Jinja chat template, or leave it unset.",
            param="chat_template_path",
        ) from exc


def has_generation_blocks(template: str) -> bool:
    """Whether the template marks assistant text with `{% generation %}…{% endgeneration %}`.

    Any whitespace-control form (`{%- generation -%}`, `{%+ generation %}`) counts; tags inside
    `{# comments #}` do not, and an opening tag without its closing tag does not.
    """
    return _GENERATION_BLOCK.search(_COMMENT.sub("", template)) is not None


def prefix_violations(
    tokenizer: "PreTrainedTokenizerBase", template: str, messages: Sequence[dict[str, Any]]
) -> list[str]:
    """Check that prompts render (and tokenize) as exact prefixes of the conversation.

    For every assistant message i, the rendering of `messages[:i]` with the generation prompt
    must be a prefix of the rendering of `messages[:i+1]`, which must in turn be a prefix of
    the whole conversation's rendering; the same must hold for their token ids. Otherwise the
    model is trained on a context it never sees at inference.

    Args:
        tokenizer: the tokenizer whose special tokens (bos, eos) the template uses.
        template: the Jinja chat template.
        messages: one conversation; with no assistant message there is nothing to check.

    Returns:
        One human-readable line per problem; empty when the property holds.
    """
    from jinja2 import TemplateError

    def render(part: Sequence[dict[str, Any]], prompt: bool = False) -> str:
        text = tokenizer.apply_chat_template(
            list(part), chat_template=template, add_generation_prompt=prompt, tokenize=False
        )
        return str(text)

    def ids(text: str) -> list[int]:
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    problems = []
    try:
        whole = render(messages)
        for i, message in enumerate(messages):
            if message.get("role") != "assistant":
                continue
            prompt, turn = render(messages[:i], prompt=True), render(messages[: i + 1])
            pairs = [
                (f"the prompt before message {i}", prompt, turn),
                (f"the conversation up to message {i}", turn, whole),
            ]
            problems += [p for what, a, b in pairs if (p := _prefix_problem(what, a, b, ids))]
    except TemplateError as exc:
        return [f"the template cannot render this conversation: {exc}"]
    return problems


def _prefix_problem(
    what: str, shorter: str, longer: str, ids: Callable[[str], list[int]]
) -> str | None:
    """Why `shorter` is not a text and token prefix of `longer`, or None when it is."""
    if not longer.startswith(shorter):
        at = len(os.path.commonprefix([shorter, longer]))
        return (
            f"{what} is not a text prefix of the rendering that follows it: at char {at}, "
            f"{shorter[at : at + 20]!r} != {longer[at : at + 20]!r}"
        )
    short_ids = ids(shorter)
    if ids(longer)[: len(short_ids)] != short_ids:
        return (
            f"{what} is a text prefix but not a token prefix of the rendering that follows "
            "it: tokens merge across the boundary"
        )
    return None
