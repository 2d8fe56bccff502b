"""A parameter's text made the value its schema describes, for the schemas Connexion cannot
coerce: without `type` (an `anyOf`, an `allOf`, a `$ref` to one), arrays of them, and the headers
and cookies Connexion leaves as text. Connexion's view keeps such a schema under `ORIGINAL`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kataven_hub.schemas.dialect import FORMATS, RequestValidator

ORIGINAL = "x-hub-schema"
"""In Connexion's view (`openapi.served`), the document's own schema of a parameter Connexion
would fail to coerce; the view's schema beside it makes Connexion leave the value alone."""
NAME = "x-hub-name"
"""In Connexion's view, the document's own name of a parameter the view renamed (`{item.id}`)."""
_SCALARS: dict[str, Callable[[str], Any]] = {"integer": int, "number": float, "boolean": lambda text: {"true": True, "false": False}[text]}


def original(schema: dict[str, Any]) -> dict[str, Any]:
    """The document's schema of a parameter, whether or not the view normalised it."""
    kept = schema.get(ORIGINAL)
    return kept if isinstance(kept, dict) else schema


def coerce(value: Any, schema: dict[str, Any]) -> Any:
    """`value` as `schema` reads it: text to a number, a boolean or null by its `type`, or by the first
    branch of an `anyOf`/`oneOf` it then satisfies (by the first of 3.1's list of types it reads
    as); lists and objects item by item (by the branch of that kind). What does
    not convert is left as it was, for validation to refuse."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, list):
        return [coerce(item, _shaped(schema, "array").get("items") or {}) for item in value]
    if isinstance(value, dict):
        schema = _shaped(schema, "object")
        properties, others = schema.get("properties") or {}, schema.get("additionalProperties")
        return {key: coerce(item, properties.get(key) or (others if isinstance(others, dict) else {})) for key, item in value.items()}
    if not isinstance(value, str):
        return value
    kind = schema.get("type")
    kinds: list[Any] = kind if isinstance(kind, list) else [kind]
    if value == "null" and "string" not in kinds and (schema.get("nullable") is True or "null" in kinds):
        return None  # what a client sends for null (Schemathesis does), where the schema takes null and no text
    if "array" in kinds:
        return coerce(value.split(","), schema)
    for kind in kinds:  # 3.1's list of types, in its order: the first the text reads as
        if kind == "string":
            return value
        try:
            return _SCALARS[str(kind)](value)
        except (ValueError, KeyError):
            continue
    return value if any(kind in _SCALARS for kind in kinds) else _by_branch(value, schema)


def _shaped(schema: dict[str, Any], kind: str) -> dict[str, Any]:
    """The schema, or the first branch of its `anyOf`/`oneOf` of that `kind` (Stripe's `metadata`:
    an object, or `""`)."""
    if schema.get("type") == kind or "items" in schema or "properties" in schema:
        return schema
    branches = [b for b in schema.get("anyOf") or schema.get("oneOf") or [] if isinstance(b, dict) and b.get("type") == kind]
    return branches[0] if branches else schema


def _by_branch(value: str, schema: dict[str, Any]) -> Any:
    for branch in schema.get("anyOf") or schema.get("oneOf") or []:
        candidate = coerce(value, branch)
        if RequestValidator(branch, format_checker=FORMATS).is_valid(candidate):
            return candidate
    typed = [branch for branch in schema.get("allOf") or [] if isinstance(branch, dict) and "type" in branch]
    return coerce(value, typed[0]) if typed else value
