"""What a page is about: is it technical content, its topic, its sentences, its addresses."""

import re

ADDRESS = re.compile(r"(?<![\w$])\$[0-9A-Fa-f]{4}\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z$(\"'])")
# "Sprites ...... 12"; a line starting with a number is a BASIC listing line, not an entry.
_TOC_LINE = re.compile(r"^(?!\d).{2,100}?(?:\.{2,}|\s)\s*\d{1,4}$")
_INDEX_LINE = re.compile(r"^[^,]{2,80},\s*\d{1,4}(?:\s*[,-]\s*\d{1,4})*$")
_LEGAL = re.compile(r"copyright|all rights reserved|©|\(c\)|trademark|permission", re.I)
_CODE_LINE = re.compile(r"^\s*(?:\d+\s+)?(?:POKE|PEEK|SYS|PRINT|LDA|STA|LDX|LDY|JSR|JMP)\b", re.I)
MIN_WORDS = 40


def skip_reason(text: str) -> str | None:
    """Why a page makes no SFT example (a table of contents, legal notice, index, no prose),
    or None for a page with real technical content."""
    lines = [line for line in text.split("\n") if line.strip()]
    words = text.split()
    if len(words) < MIN_WORDS:
        return "too_little_text"
    letters = sum(ch.isalpha() for ch in text)
    if letters < 0.4 * len(text.replace(" ", "")):
        return "mostly_numbers"
    # A table of register values looks like a contents page; its page also has prose.
    prose = len(sentences(text))
    listing = prose < 3
    if listing and _share(lines, _INDEX_LINE) >= 0.4:
        return "index"
    if "contents" in lines[0].casefold() or (listing and _share(lines, _TOC_LINE) >= 0.4):
        return "table_of_contents"
    if _LEGAL.search(text) and len(words) < 250 and not ADDRESS.search(text):
        return "legal_notice"
    if prose < 2:
        return "no_prose"
    return None


def _share(lines: list[str], pattern: re.Pattern) -> float:
    return sum(bool(pattern.match(line.strip())) for line in lines) / max(1, len(lines))


def sentences(text: str) -> list[str]:
    """Prose sentences of the page, in order (short lines such as headings are left out)."""
    prose = " ".join(line for line in text.split("\n") if len(line.split()) >= 4)
    return [s.strip() for s in _SENTENCE_END.split(prose) if len(s.split()) >= 4]


def split_heading(text: str, title: str) -> tuple[str, str]:
    """(topic, body): a heading-like first line and the text after it; without one, the first
    words of the first sentence (else the document title) and the whole text."""
    first, _, rest = text.partition("\n")
    first = first.strip()
    if 2 <= len(first) <= 80 and not first.endswith((".", ",")) and len(first.split()) <= 10:
        return first.rstrip(":"), rest
    opening = sentences(text)
    return (" ".join(opening[0].split()[:8]).rstrip(".,;:") if opening else title), text


def addresses(text: str) -> list[tuple[str, str]]:
    """Each distinct `$XXXX` address (upper case) with the sentence or line that mentions it."""
    found: dict[str, str] = {}
    units = sentences(text) + [line.strip() for line in text.split("\n")]
    for unit in units:
        for match in ADDRESS.finditer(unit):
            found.setdefault(match.group().upper(), unit[:200])
    return list(found.items())


def code_lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if _CODE_LINE.match(line)]
