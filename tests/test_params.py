"""Parameter validation: every bad field reported with its path, expectation and value."""

import pytest
from hypothesis import given, strategies as st

from jobs.params import InvalidParameters, parse_cli_params, validate_params

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "min_quality": {"type": "integer", "minimum": 0, "maximum": 93, "default": 20, "description": "q"},
        "adapter": {"type": "string", "default": "AGATCGGAAGAGC", "description": "a"},
        "mode": {"type": "string", "enum": ["fast", "sensitive"], "default": "fast", "description": "m"},
        "trim": {"type": "boolean", "default": True, "description": "t"},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "default": 0.5, "description": "r"},
        "samples": {"type": "array", "items": {"type": "string"}, "default": [], "description": "s"},
    },
    "required": ["adapter"],
}


def test_defaults_are_filled_in():
    assert validate_params(SCHEMA, {}) == {
        "min_quality": 20, "adapter": "AGATCGGAAGAGC", "mode": "fast", "trim": True, "ratio": 0.5, "samples": []
    }


def test_every_error_is_reported_per_field():
    with pytest.raises(InvalidParameters) as caught:
        validate_params(SCHEMA, {"min_quality": 120, "mode": "quick", "trim": "yes", "colour": "red"})
    errors = {error.path: error for error in caught.value.errors}
    assert set(errors) == {"min_quality", "mode", "trim", "colour"}
    assert errors["min_quality"].expected == "a number <= 93" and errors["min_quality"].got == 120
    assert errors["mode"].expected == 'one of "fast", "sensitive"' and errors["mode"].got == "quick"
    assert errors["trim"].expected == "boolean" and errors["trim"].got == "yes"
    assert errors["colour"].message == "is not a parameter of this workflow"
    assert "min_quality" in errors["colour"].expected
    assert "min_quality: " in str(caught.value)


def test_nested_paths_are_dotted():
    with pytest.raises(InvalidParameters) as caught:
        validate_params(SCHEMA, {"samples": ["a", 3]})
    assert [error.path for error in caught.value.errors] == ["samples.1"]


def test_cli_values_are_typed_by_the_schema():
    params = parse_cli_params(SCHEMA, ["min_quality=25", "adapter=123", "trim=false", "ratio=0.25", "samples=[a, b]"])
    assert params == {"min_quality": 25, "adapter": "123", "trim": False, "ratio": 0.25, "samples": ["a", "b"]}
    assert validate_params(SCHEMA, params)["min_quality"] == 25


def test_cli_assignment_without_equals_is_rejected():
    with pytest.raises(InvalidParameters, match="KEY=VALUE"):
        parse_cli_params(SCHEMA, ["min_quality"])


@given(st.text())
def test_string_parameters_keep_any_text_verbatim(text):
    assert parse_cli_params(SCHEMA, [f"adapter={text}"]) == {"adapter": text}


@given(st.integers(min_value=0, max_value=93))
def test_in_range_integers_validate(value):
    assert validate_params(SCHEMA, {"min_quality": value})["min_quality"] == value


@given(st.integers().filter(lambda v: not 0 <= v <= 93))
def test_out_of_range_integers_are_rejected(value):
    with pytest.raises(InvalidParameters):
        validate_params(SCHEMA, {"min_quality": value})
