"""`--field value` typed by the kind's spec (its JSON schema), not guessed."""

import pytest

from c64ft.fields import FieldSyntaxError, parse_fields
from core.kinds import KINDS

TRAIN = KINDS["train"].spec.model_json_schema()
SMOKE = KINDS["gpu_smoke"].spec.model_json_schema()
VALIDATE = KINDS["validate_reasoning"].spec.model_json_schema()


def test_values_take_the_fields_types():
    args = ["--allow-cpu", "--max-steps", "2", "--learning-rate", "1e-4", "--output-dir=models/a-b"]
    assert parse_fields(args, TRAIN) == {
        "allow_cpu": True,
        "max_steps": 2,
        "learning_rate": 1e-4,
        "output_dir": "models/a-b",
    }


def test_a_string_field_keeps_digits_as_text_and_lists_parse_as_json():
    assert parse_fields(["--output-dir", "123", "--seeds", "[1,2]"], VALIDATE) == {
        "output_dir": "123",
        "seeds": [1, 2],
    }


@pytest.mark.parametrize(
    ("args", "packing"),
    [
        (["--packing"], True),
        (["--no-packing"], False),
        (["--packing", "false"], False),
        (["--packing", "true"], True),
        (["--packing=false"], False),
    ],
)
def test_booleans_take_flag_no_flag_and_a_word(args, packing):
    assert parse_fields([*args, "--max-steps", "-1"], TRAIN) == {
        "packing": packing,
        "max_steps": -1,
    }


def test_a_bare_flag_before_another_flag_is_true():
    assert parse_fields(["--use-lora", "--phase", "sft"], TRAIN) == {
        "use_lora": True,
        "phase": "sft",
    }


def test_an_unknown_flag_names_the_closest_field():
    with pytest.raises(
        FieldSyntaxError, match=r"unknown field --grad-acum; did you mean --grad-accum\?"
    ):
        parse_fields(["--grad-acum", "4"], TRAIN)


def test_a_mistyped_value_names_the_field_and_its_type():
    with pytest.raises(FieldSyntaxError, match="--max-steps expects integer, got 'two'"):
        parse_fields(["--max-steps", "two"], TRAIN)
    with pytest.raises(FieldSyntaxError, match="--max-steps needs a value"):
        parse_fields(["--max-steps"], TRAIN)
    with pytest.raises(FieldSyntaxError, match="not a true/false field"):
        parse_fields(["--no-max-steps"], TRAIN)


def test_a_bare_value_is_refused():
    with pytest.raises(FieldSyntaxError, match="expected --field"):
        parse_fields(["512"], SMOKE)
