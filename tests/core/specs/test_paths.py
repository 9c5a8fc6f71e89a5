"""A spec path is refused unless every os call could take it (core/specs/paths.py)."""

import pytest
from pydantic import TypeAdapter, ValidationError

from core.kinds.train.spec import MERGED_SUFFIX
from core.specs.paths import MAX_NAME_BYTES, WorkspacePath

path = TypeAdapter(WorkspacePath)


@pytest.mark.parametrize(
    "value", ["data/processed", "models/" + "a" * MAX_NAME_BYTES, "résultats/ü", "./a/", "."]
)
def test_ordinary_paths_pass(value):
    path.validate_python(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a" * (MAX_NAME_BYTES + 1), "at most 223 bytes"),
        ("x/" + "€" * 75, "at most 223 bytes"),  # 75 characters, 225 bytes
        ("é/" * 350, "at most 1024 bytes"),  # 700 characters, 1050 bytes
        ("a\x00b", "control characters"),
        ("a\tb", "control characters"),
        ("a\ud800", "(?i)unicode"),
        ("/etc", "relative"),
        ("~root", "relative"),
        ("a/../..", "'..'"),
    ],
    ids=lambda item: item if len(item) < 40 else f"{len(item)}-characters",
)
def test_paths_an_os_call_would_refuse_or_that_leave_are_refused(value, reason):
    with pytest.raises(ValidationError, match=reason):
        path.validate_python(value)


def test_the_longest_name_leaves_room_for_the_longest_publish_suffix():
    longest_temporary = f".{'a' * MAX_NAME_BYTES}{MERGED_SUFFIX}.0123abcd.tmp"
    assert len(longest_temporary.encode()) <= 255
