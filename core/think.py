"""The THINK contract: an assistant turn is one `[THINK]trace[/THINK]` block, then the answer.

Used on the SFT data (build_datasets' validation) and on generated text (reasoning validation).
"""

import re
from dataclasses import dataclass

THINK_OPEN, THINK_CLOSE = "[THINK]", "[/THINK]"


@dataclass(frozen=True)
class ThinkShape:
    open_count: int
    close_count: int
    ordered: bool  # tags alternate [THINK], [/THINK], ... starting with an opening one
    trace: str  # between the first [THINK] and the first [/THINK] after it
    answer: str  # after the last [/THINK]

    @property
    def has_think_tag(self) -> bool:
        return self.open_count > 0

    @property
    def balanced(self) -> bool:
        """As many closing tags as opening ones, each closing the block before it."""
        return self.open_count == self.close_count and self.ordered

    @property
    def has_both_tags(self) -> bool:
        """A [THINK] and a [/THINK]: an unclosed block does not count (the runtime contract)."""
        return self.open_count > 0 and self.close_count > 0

    @property
    def has_closed_blocks(self) -> bool:
        """At least one block, each closed in order: a reply with no tags has none."""
        return self.open_count > 0 and self.balanced

    @property
    def has_final_after_think(self) -> bool:
        return self.close_count > 0 and bool(self.answer.strip())

    @property
    def well_formed(self) -> bool:
        """Exactly one block, first in the message, with a trace and an answer after it."""
        return (
            self.open_count == 1
            and self.close_count == 1
            and bool(self.trace.strip())
            and self.has_final_after_think
        )


def think_shape(content: str) -> ThinkShape:
    """Count and split the THINK tags of one assistant message."""
    text = content.lstrip()
    opens, closes = text.count(THINK_OPEN), text.count(THINK_CLOSE)
    trace = answer = ""
    if text.startswith(THINK_OPEN) and THINK_CLOSE in text:
        trace = text[len(THINK_OPEN) : text.index(THINK_CLOSE)]
    if closes:
        answer = text[text.rindex(THINK_CLOSE) + len(THINK_CLOSE) :]
    return ThinkShape(opens, closes, _alternating(text), trace, answer)


def _alternating(text: str) -> bool:
    tags = re.findall(r"\[/?THINK\]", text)
    return all(tag == (THINK_OPEN if i % 2 == 0 else THINK_CLOSE) for i, tag in enumerate(tags))


def with_think(trace: str, answer: str) -> str:
    """An assistant message under the contract."""
    return f"{THINK_OPEN}{trace}{THINK_CLOSE}{answer}"
