"""The JSON Schema dialect every schema of a document is validated by: Draft 2020-12 (what OpenAPI
3.1 and 3.2 say), with OpenAPI 3.0's own keywords read as 3.0 means them (`nullable`, a boolean
`exclusiveMinimum`/`exclusiveMaximum`), so one validator serves either version: a valid 3.0
document has none of 2020-12's new keywords, and what 3.0 spells its own way is told apart by its
value. Where the two disagree on the same keyword (is `1.0` an integer; which formats are
checked), a schema of a 3.1 document says so by a mark (`marked`); unmarked, Draft 4 decides."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker, ValidationError
from jsonschema.exceptions import FormatError
from jsonschema.validators import extend

FORMATS = FormatChecker()
"""The formats jsonschema checks for draft 4, and those Schemathesis checks in answers: OpenAPI's
`date` (RFC 3339's full-date), `uri`, `int32` and `int64`."""
FORMATS.checkers = {**Draft4Validator.FORMAT_CHECKER.checkers, "date": Draft202012Validator.FORMAT_CHECKER.checkers["date"]}


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    """An absolute URI: a scheme, then the rest (RFC 3986), as Schemathesis checks it."""
    return not isinstance(value, str) or re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", value) is not None


@FORMATS.checks("int32")
def _int32(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -(2**31) <= value < 2**31


@FORMATS.checks("int64")
def _int64(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -(2**63) <= value < 2**63


FORMATS_2020 = FormatChecker()
"""What FORMATS checks, and 2020-12's `time` and `uuid`: for the schemas of a 3.1 document."""
FORMATS_2020.checkers = {**FORMATS.checkers, **{name: Draft202012Validator.FORMAT_CHECKER.checkers[name] for name in ("time", "uuid")}}

MARK = "x-hub-2020-12"
"""Beside `type` or `format` in a schema of a 3.1 or 3.2 document (in the copies the server reads,
never in the document served): `1.0` is an integer there, and 2020-12's formats are checked."""
_VALUES = frozenset({"example", "examples", "default", "const", "enum"})
"""Keys whose values are data, never schemas: nothing under them is marked."""


_NAMED = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas", "schemas"})
"""Keys whose values map names to schemas: a property may be called `example`."""


def marked(node: Any, keep: str = "", named: bool = False) -> Any:
    """A copy of `node` (a 3.1 document, or part of one) with MARK beside every `type` and `format`
    of its schemas; data (examples, defaults, enums) and extensions other than `keep` left as they are."""
    if isinstance(node, list):
        return [marked(item, keep) for item in node]
    if not isinstance(node, dict):
        return node
    if named:
        return {key: marked(value, keep) for key, value in node.items()}
    copied = {key: value if key in _VALUES or (key.startswith("x-") and key != keep) else marked(value, keep, key in _NAMED)
              for key, value in node.items()}  # fmt: skip
    kind = copied.get("type")
    if isinstance(kind, str) or (isinstance(kind, list) and all(isinstance(k, str) for k in kind)) or isinstance(copied.get("format"), str):
        copied[MARK] = True
    return copied


_KEYWORDS = Draft202012Validator.VALIDATORS
Keyword = Iterator[ValidationError]


def _nullable(keyword: str) -> Any:
    """2020-12's `keyword`, with null allowed where a 3.0 schema says `nullable: true`."""

    def check(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Keyword:
        if instance is None and schema.get("nullable") is True:
            return
        yield from _KEYWORDS[keyword](validator, value, instance, schema)

    return check


def _type(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Keyword:
    """3.0's nullable, and 2020-12's integers (`1.0` is one) where the schema is marked as 2020-12's."""
    whole = isinstance(instance, float) and instance.is_integer() and schema.get(MARK) is True
    if whole and "integer" in (value if isinstance(value, list) else [value]):
        return
    yield from _nullable("type")(validator, value, instance, schema)


def _format(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Keyword:
    """The format checked by 2020-12's formats where the schema is marked as 2020-12's."""
    checker = FORMATS_2020 if schema.get(MARK) is True and validator.format_checker is not None else validator.format_checker
    if checker is None:
        return
    try:
        checker.check(instance, value)
    except FormatError as error:
        yield ValidationError(error.message, cause=error.cause)


def _exclusive(keyword: str, bound: str, beyond: str) -> Any:
    """2020-12's numeric `keyword`, or 3.0's boolean one: `minimum`/`maximum` itself excluded."""

    def check(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Keyword:
        if not isinstance(value, bool):
            yield from _KEYWORDS[keyword](validator, value, instance, schema)
        elif value and validator.is_type(instance, "number") and instance == schema.get(bound):
            yield ValidationError(f"{instance!r} is {beyond} or equal to the {bound} of {schema[bound]!r}")

    return check


def _required_unless(flag: str) -> Any:
    """`required`, leaving out the properties marked `flag`: a `readOnly` property in `required` is
    required in answers only, a `writeOnly` one in requests only (OpenAPI's rule)."""

    def check(validator: Any, required: Any, instance: Any, schema: dict[str, Any]) -> Keyword:
        if not isinstance(required, list):  # `required: true` on a property (a Swagger 2 habit, in a document served --lenient)
            return
        properties = schema.get("properties", {})
        wanted = [name for name in required if not (isinstance(properties.get(name), dict) and properties[name].get(flag) is True)]
        yield from _KEYWORDS["required"](validator, wanted, instance, schema)

    return check


def _write_only(_validator: Any, value: Any, _instance: Any, _schema: dict[str, Any]) -> Keyword:
    if value is True:
        yield ValidationError("Property is write-only")


_INTEGERS = Draft202012Validator.TYPE_CHECKER.redefine("integer", lambda checker, instance: Draft4Validator.TYPE_CHECKER.is_type(instance, "integer"))
_OPENAPI = {
    "required": _required_unless("readOnly"),
    "type": _type,
    "format": _format,
    "enum": _nullable("enum"),
    **{keyword: _nullable(keyword) for keyword in ("allOf", "anyOf", "oneOf", "$ref")},  # `nullable` beside a composition, as Schemathesis reads it
    "exclusiveMinimum": _exclusive("exclusiveMinimum", "minimum", "less than"),
    "exclusiveMaximum": _exclusive("exclusiveMaximum", "maximum", "greater than"),
}

RequestValidator = extend(Draft202012Validator, _OPENAPI, type_checker=_INTEGERS)
"""A schema's validator for what clients send (parameters, bodies; `readOnly` fields not required)."""
AnswerValidator = extend(RequestValidator, {"writeOnly": _write_only, "required": _required_unless("writeOnly")})
"""A schema's validator for answers: `writeOnly` fields refused, and not required."""
