"""A 3.0 document rewritten as 3.1 the way a person upgrading it would (`tests/test_corpus.py`: `hub
diff` must find no change): `nullable: true` a type list with "null" (or, without a type, an
`anyOf` with a `{type: 'null'}` branch, as for a `$ref`), boolean exclusive bounds numbers, a schema's `example` its
`examples`."""

from __future__ import annotations

import copy
from typing import Any

_EACH = ("properties", "patternProperties", "$defs")
_ONE = ("items", "additionalProperties", "not")
_LIST = ("allOf", "anyOf", "oneOf")
_NOTES = ("title", "description", "readOnly", "writeOnly", "deprecated")


def upgraded(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` (3.0) as 3.1, accepting and answering the same payloads."""
    found = copy.deepcopy(document)
    found["openapi"] = "3.1.0"
    _visit(found)
    return found


def _visit(node: Any) -> None:
    """Every schema under `node`: a `schema` value, or one of `components.schemas`."""
    if isinstance(node, list):
        for item in node:
            _visit(item)
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "schema" and isinstance(value, dict):
            _schema(value)
        elif key == "schemas" and isinstance(value, dict):
            for schema in value.values():
                _schema(schema)
        else:
            _visit(value)


def _schema(schema: Any) -> None:
    if not isinstance(schema, dict):
        return
    for key in _EACH:
        for sub in (schema.get(key) or {}).values() if isinstance(schema.get(key), dict) else ():
            _schema(sub)
    for key in _ONE:
        _schema(schema.get(key))
    for key in _LIST:
        for sub in schema.get(key) or [] if isinstance(schema.get(key), list) else []:
            _schema(sub)
    _rewrite(schema)


def _rewrite(schema: dict[str, Any]) -> None:
    if "example" in schema:
        schema["examples"] = [schema.pop("example")]
    for inclusive, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if schema.get(exclusive) is True and inclusive in schema:
            schema[exclusive] = schema.pop(inclusive)
        elif isinstance(schema.get(exclusive), bool):
            del schema[exclusive]
    if schema.pop("nullable", None) is not True:
        return
    if isinstance(schema.get("type"), str) and "$ref" not in schema:
        schema["type"] = [schema["type"], "null"]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
    else:  # a `$ref` beside `nullable` (3.0 ignores siblings of a `$ref`; its authors meant them)
        rest = {k: schema.pop(k) for k in list(schema) if k not in _NOTES}
        schema["anyOf"] = [rest, {"type": "null"}]
