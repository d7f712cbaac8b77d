"""Validation of run parameters against a workflow's JSON Schema, reported per field."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Iterable

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError


@dataclass(frozen=True)
class FieldError:
    """One invalid value: where it is, what the schema expects, what was given."""

    path: str
    expected: str
    got: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "expected": self.expected, "got": self.got, "message": self.message}

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (expected {self.expected}, got {json.dumps(self.got, default=str)})"


class InvalidRunRequest(ValueError):
    """Raised before anything runs; carries every problem found, not just the first."""

    title = "invalid run request"

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__(f"{self.title}:\n" + "\n".join(f"  {error}" for error in errors))


class InvalidParameters(InvalidRunRequest):
    title = "invalid parameters"


class InvalidInputs(InvalidRunRequest):
    title = "invalid inputs"



def _expected(error: ValidationError) -> str:
    keyword, value = error.validator, error.validator_value
    if keyword == "required":
        return "a value for this required field"
    if keyword == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return "one of the known parameters: " + ", ".join(allowed)
    if keyword == "enum":
        return "one of " + ", ".join(json.dumps(item) for item in value)
    if keyword == "type":
        return value if isinstance(value, str) else " or ".join(value)
    if keyword in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        symbol = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[keyword]
        return f"a number {symbol} {value}"
    return f"{keyword} {json.dumps(value, default=str)}"


def _field_errors(error: ValidationError) -> Iterable[FieldError]:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        # The instance here is the parent object; name the missing field itself.
        for name in error.validator_value:
            if isinstance(error.instance, dict) and name not in error.instance:
                yield FieldError(".".join(filter(None, [path, name])), _expected(error), None, "is required")
        return
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        for name in sorted(set(error.instance) - known):
            yield FieldError(
                ".".join(filter(None, [path, name])), _expected(error), error.instance[name], "is not a parameter of this workflow"
            )
        return
    yield FieldError(path or "(parameters)", _expected(error), error.instance, error.message)


def with_defaults(schema: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``params`` with every absent top-level property set to its schema default."""
    filled = copy.deepcopy(params)
    for name, spec in schema.get("properties", {}).items():
        if name not in filled and "default" in spec:
            filled[name] = copy.deepcopy(spec["default"])
    return filled


def validate_params(schema: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Return ``params`` completed with defaults, or raise InvalidParameters listing every error."""
    if not isinstance(params, dict):
        raise InvalidParameters([FieldError("(parameters)", "an object", params, "parameters must be a mapping")])
    filled = with_defaults(schema, params)
    validator = Draft202012Validator(schema)
    errors = [
        field_error
        for error in sorted(validator.iter_errors(filled), key=lambda e: list(map(str, e.absolute_path)))
        for field_error in _field_errors(error)
    ]
    if errors:
        raise InvalidParameters(errors)
    return filled


def parse_cli_params(schema: dict[str, Any], assignments: Iterable[str]) -> dict[str, Any]:
    """Turn ``KEY=VALUE`` strings into typed values, guided by the schema.

    String properties keep the text as given; other values are read as YAML scalars or
    lists (``20`` -> 20, ``true`` -> True, ``[a, b]`` -> list) and then validated.
    """
    properties = schema.get("properties", {})
    params: dict[str, Any] = {}
    errors = []
    for assignment in assignments:
        key, separator, text = assignment.partition("=")
        key = key.strip()
        if not separator or not key:
            errors.append(FieldError(assignment, "KEY=VALUE", assignment, "is not of the form KEY=VALUE"))
            continue
        declared = properties.get(key, {}).get("type")
        if declared == "string":
            params[key] = text
            continue
        try:
            params[key] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            params[key] = text
    if errors:
        raise InvalidParameters(errors)
    return params
