"""A field path (`items[].name`) walked down a schema: the schemas it may lead to (every `allOf`
member, every `oneOf`/`anyOf` branch), whether an example still fits one of them, and whether the
document marks the field secret (`format: password`, `writeOnly`)."""

from __future__ import annotations

import re
from typing import Any

from kataven_hub.schemas.keywords2020 import fits

OPEN: dict[str, Any] = {}
"""What a path under a free-form schema (no `properties`, `additionalProperties: true`) leads to."""
_COMPOSED = ("allOf", "oneOf", "anyOf")
_NESTING = 16


def members(schema: Any, depth: int = 0) -> list[dict[str, Any]]:
    """The schema and, recursively, the members of its `allOf`, `oneOf` and `anyOf`."""
    if not isinstance(schema, dict):
        return [OPEN] if schema is True else []
    found = [schema]
    for keyword in _COMPOSED if depth < _NESTING else ():
        for member in schema.get(keyword) or []:
            found += members(member, depth + 1)
    return found


def locate(schema: Any, path: list[str]) -> list[dict[str, Any]]:
    """The schemas the path leads to from `schema` (none: the document no longer has the field)."""
    reached = [schema] if isinstance(schema, dict) else []
    for segment in path:
        reached = [child for found in reached for child in _children(found, segment)]
        if not reached:
            return []
    return reached


def _children(schema: dict[str, Any], segment: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    every = members(schema)
    for member in every:
        if segment == "[]":
            found += [member["items"]] if isinstance(member.get("items"), dict) else []
            continue
        properties = member.get("properties") or {}
        if segment in properties:
            found.append(properties[segment])
        found += [s for p, s in (member.get("patternProperties") or {}).items() if _matches(p, segment)]
        if isinstance(member.get("additionalProperties"), dict):
            found.append(member["additionalProperties"])
    if not found and any(_open(member, segment) for member in every):
        found.append(OPEN)
    return found


def _open(schema: dict[str, Any], segment: str) -> bool:
    """Whether the schema says nothing of what is under it (any field, any item)."""
    kind = schema.get("type")
    if segment == "[]":
        return "items" not in schema and kind in (None, "array") and not any(k in schema for k in _COMPOSED)
    if schema.get("additionalProperties") is True:
        return True
    closed = ("properties", "patternProperties", "additionalProperties", *_COMPOSED)
    return kind in (None, "object") and not any(k in schema for k in closed)


def _matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def fitting(schemas: list[dict[str, Any]], value: Any) -> bool:
    """Whether `value` is of a type one of the schemas allows (a schema with no type allows any)."""
    return any(_fits(schema, value, 0) for schema in schemas)


def _fits(schema: Any, value: Any, depth: int) -> bool:
    if not isinstance(schema, dict) or depth > _NESTING or (value is None and schema.get("nullable")):
        return schema is not False
    if not fits(value, schema) or not all(_fits(m, value, depth + 1) for m in schema.get("allOf") or []):
        return False
    return all(any(_fits(m, value, depth + 1) for m in schema[k]) for k in ("oneOf", "anyOf") if schema.get(k))


def secret(schemas: list[dict[str, Any]]) -> bool:
    """Whether the document marks the field a password or write-only in any of its schemas."""
    return any(member.get("format") == "password" or member.get("writeOnly") is True
               for schema in schemas for member in members(schema))  # fmt: skip
