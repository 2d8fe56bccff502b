"""The JSON Schema dialect every schema of a document is validated by: Draft 2020-12 (what OpenAPI
3.1 and 3.2 say), with OpenAPI 3.0's own keywords read as 3.0 means them (`nullable`, a boolean
`exclusiveMinimum`/`exclusiveMaximum`), so one validator serves either version: a valid 3.0
document has none of 2020-12's new keywords, and what 3.0 spells its own way is told apart by its
value. An integer is a number written without a fraction (`1.0` is not one), as in Draft 4."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker, ValidationError
from jsonschema.validators import extend

FORMATS = FormatChecker()
"""The formats jsonschema checks for draft 4, and OpenAPI's integer formats `int32` and `int64`."""
FORMATS.checkers = dict(Draft4Validator.FORMAT_CHECKER.checkers)


@FORMATS.checks("int32")
def _int32(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -(2**31) <= value < 2**31


@FORMATS.checks("int64")
def _int64(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -(2**63) <= value < 2**63


_KEYWORDS = Draft202012Validator.VALIDATORS
Keyword = Iterator[ValidationError]


def _nullable(keyword: str) -> Any:
    """2020-12's `keyword`, with null allowed where a 3.0 schema says `nullable: true`."""

    def check(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Keyword:
        if instance is None and schema.get("nullable") is True:
            return
        yield from _KEYWORDS[keyword](validator, value, instance, schema)

    return check


def _exclusive(keyword: str, bound: str, beyond: str) -> Any:
    """2020-12's numeric `keyword`, or 3.0's boolean one: `minimum`/`maximum` itself excluded."""

    def check(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Keyword:
        if not isinstance(value, bool):
            yield from _KEYWORDS[keyword](validator, value, instance, schema)
        elif value and validator.is_type(instance, "number") and instance == schema.get(bound):
            yield ValidationError(f"{instance!r} is {beyond} or equal to the {bound} of {schema[bound]!r}")

    return check


def _required_but_write_only(validator: Any, required: list[str], instance: Any, schema: dict[str, Any]) -> Keyword:
    """A `writeOnly` property in `required` is required in requests only."""
    properties = schema.get("properties", {})
    wanted = [name for name in required if not (properties.get(name) or {}).get("writeOnly")]
    yield from _KEYWORDS["required"](validator, wanted, instance, schema)


def _write_only(_validator: Any, value: Any, _instance: Any, _schema: dict[str, Any]) -> Keyword:
    if value is True:
        yield ValidationError("Property is write-only")


_INTEGERS = Draft202012Validator.TYPE_CHECKER.redefine("integer", lambda checker, instance: Draft4Validator.TYPE_CHECKER.is_type(instance, "integer"))
_OPENAPI = {
    "type": _nullable("type"),
    "enum": _nullable("enum"),
    "exclusiveMinimum": _exclusive("exclusiveMinimum", "minimum", "less than"),
    "exclusiveMaximum": _exclusive("exclusiveMaximum", "maximum", "greater than"),
}

RequestValidator = extend(Draft202012Validator, _OPENAPI, type_checker=_INTEGERS)
"""A schema's validator for what clients send (parameters, bodies) and for values of the document."""
AnswerValidator = extend(RequestValidator, {"writeOnly": _write_only, "required": _required_but_write_only})
"""A schema's validator for answers: `writeOnly` fields refused, and not required."""
