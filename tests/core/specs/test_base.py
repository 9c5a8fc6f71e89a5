"""Every string of every spec can be stored: a lone surrogate is refused (core/specs/base.py)."""

from typing import Literal

import pytest
from pydantic import BaseModel, ValidationError

from core.specs.base import SpecBase


class Note(BaseModel):
    text: str


class ProbeSpec(SpecBase):  # plain `str` fields, which pydantic alone lets a surrogate through
    kind: Literal["probe"] = "probe"
    name: str = ""
    tags: list[str] = []
    note: Note | None = None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "x\ud800"}, "name"),
        ({"tags": ["ok", "\udfff"]}, "tags"),
        ({"note": {"text": "\ud800"}}, "note"),
    ],
)
def test_a_lone_surrogate_in_any_string_is_refused_naming_the_field(fields, field):
    with pytest.raises(ValidationError) as raised:
        ProbeSpec(**fields)
    [error] = raised.value.errors()
    assert error["loc"] == (field,) and "lone surrogate" in error["msg"]


def test_any_other_unicode_is_kept():
    assert ProbeSpec(name="Grüße 🕹", tags=["€"]).name == "Grüße 🕹"
