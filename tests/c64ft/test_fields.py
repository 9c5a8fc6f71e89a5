import pytest

from c64ft.fields import FieldSyntaxError, parse_fields


def test_values_are_json_where_they_parse_and_strings_otherwise():
    args = ["--allow-cpu", "--matrix-size", "512", "--model-path=models/a-b", "--seeds", "[1,2]"]
    assert parse_fields(args) == {
        "allow_cpu": True,
        "matrix_size": 512,
        "model_path": "models/a-b",
        "seeds": [1, 2],
    }


def test_explicit_false_and_negative_numbers():
    assert parse_fields(["--allow-cpu", "false", "--max-steps", "-1"]) == {
        "allow_cpu": False,
        "max_steps": -1,
    }


def test_a_bare_value_is_refused():
    with pytest.raises(FieldSyntaxError, match="expected --field"):
        parse_fields(["512"])
