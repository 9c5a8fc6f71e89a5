"""A text quality score per page, 0 (nothing readable) to 1 (plenty of clean text).

It decides which PDF pages go to OCR and which copy of a duplicate page is kept. Numbers, hex
(`$D020`, `#$FF`) and BASIC/assembly tokens count as good: C64 manuals are full of them.
"""

import re

# A plausible token: a word, a number, a hex value, a short code token; with light punctuation.
_GOOD_TOKEN = re.compile(
    r"""^[("'\[<]*(?:[A-Za-z][A-Za-z'’\-]*|[$#%]{0,2}[0-9A-Fa-f]+|\d[\d.,:/]*|[A-Za-z]+\$?\d*)"""
    r"""[)"'\]>.,;:!?]*$"""
)
FULL_LENGTH_CHARS = 400  # a page with this much text is not penalised for being short


def text_quality(text: str) -> float:
    """Share of plausible tokens, scaled down for pages with little text."""
    tokens = text.split()
    if not tokens:
        return 0.0
    good = sum(1 for token in tokens if _GOOD_TOKEN.match(token))
    length_factor = min(1.0, sum(map(len, tokens)) / FULL_LENGTH_CHARS)
    return round(good / len(tokens) * length_factor, 4)
