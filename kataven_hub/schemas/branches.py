"""The branch of a `oneOf`/`anyOf` the generator takes, as one schema: the parent's other keywords
merged with it and its discriminator value set (from the `mapping`, else the name of the branch's
schema), unless the branch pins that property itself with an `enum` or a `const` (Pydantic's
discriminated unions), whose value wins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DISCRIMINATOR_VALUES = "x-hub-discriminator-values"
"""Set on a schema with a discriminator when the document is loaded (`openapi.document`): the value
that selects each of its `oneOf`/`anyOf` branches, in order (None for an inline branch)."""

Merge = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def composition(schema: dict[str, Any]) -> str | None:
    """`oneOf` or `anyOf`, whichever the schema combines its branches with, or None."""
    return next((key for key in ("oneOf", "anyOf") if schema.get(key)), None)


def branch(schema: dict[str, Any], index: int, flat: dict[str, Any], merge: Merge) -> dict[str, Any]:
    """The schema with its branch `index` (`flat`, already flattened) taken in place of them all."""
    key = composition(schema) or "oneOf"
    rest = {k: v for k, v in schema.items() if k not in (key, "discriminator", DISCRIMINATOR_VALUES)}
    return _discriminated(merge(rest, flat), schema, index)


def _discriminated(chosen: dict[str, Any], parent: dict[str, Any], index: int) -> dict[str, Any]:
    name = (parent.get("discriminator") or {}).get("propertyName")
    if not name:
        return chosen
    values = parent.get(DISCRIMINATOR_VALUES) or []
    value = values[index] if index < len(values) else None
    own = (chosen.get("properties") or {}).get(name)
    pinned = ([own["const"]] if "const" in own else own.get("enum")) if isinstance(own, dict) else None
    required = sorted({*chosen.get("required", []), name})
    if pinned and value not in pinned:  # the branch's own value (`enum: [shield_list]`), not its schema's name
        return {**chosen, "required": required}
    if value is None:
        return chosen
    properties = {**chosen.get("properties", {}), name: {"type": "string", "enum": [value]}}
    return {**chosen, "properties": properties, "required": required}
