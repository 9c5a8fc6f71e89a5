"""Token parity's comparison, on id lists (the real check runs in tests/core/kinds/test_export)."""

import pytest

from core.errors import JobFailure
from core.gguf.parity import check_parity, first_difference


def test_first_difference():
    assert first_difference([1, 2, 3], [1, 2, 3]) is None
    assert first_difference([1, 2, 3], [1, 9, 3]) == 1
    assert first_difference([1, 2, 3], [1, 2]) == 2  # one side is a prefix of the other
    assert first_difference([], []) is None


class Ids:
    """Both tokenizers' interfaces, answering with fixed ids."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def __call__(self, text, add_special_tokens):
        assert add_special_tokens is False  # the rendering carries its own BOS
        return type("Encoding", (), {"input_ids": self.ids})

    def tokenize(self, data: bytes, add_bos: bool, special: bool) -> list[int]:
        assert (add_bos, special) == (False, True)
        return self.ids


def test_a_mismatch_names_the_prompt_and_the_position():
    assert check_parity(Ids([1, 2, 3]), Ids([1, 2, 3]), {"single-turn": "x"}) == {"single-turn": 3}
    with pytest.raises(JobFailure) as caught:
        check_parity(Ids([1, 2, 4, 5]), Ids([1, 2, 3]), {"multi-turn": "x"})
    assert caught.value.type == "tokenizer_mismatch"
    assert "multi-turn prompt" in caught.value.message and "position 2" in caught.value.message
