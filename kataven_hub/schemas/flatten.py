"""Schemas combined into one, as the mock's generator and the remembered resources read them:
`allOf` merged (properties and required lists joined, recursively), one branch of a
`oneOf`/`anyOf` taken (`schemas.branches`), an `if`/`then`/`else` taken one way
(`schemas.keywords2020`), a merge no value satisfies (and the schema `false`) marked."""

from __future__ import annotations

import random
from typing import Any

from kataven_hub.schemas.branches import DISCRIMINATOR_VALUES, branch, composition
from kataven_hub.schemas.keywords2020 import allowed_values, conditional, merged_types, same

__all__ = ["DISCRIMINATOR_VALUES", "IMPOSSIBLE", "flatten", "flatten_branch"]

IMPOSSIBLE = "x-hub-impossible"
"""Set by `flatten` on a merge no value satisfies (two types, disjoint enums): an optional property
with such a schema is left out."""

_FLAT: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
"""Flattened schemas (first branches), by the schema's identity: a remembered read flattens the
same few schemas on every request. Read only: what `flatten` returns is never changed."""


def flatten(schema: dict[str, Any], rng: random.Random | None = None) -> dict[str, Any]:
    """The schema with its `allOf` merged and one `oneOf`/`anyOf` branch taken (the first, or one
    drawn from `rng`), recursively at the top level only: nested schemas are flattened as they
    are reached."""
    if not isinstance(schema, dict):
        return {IMPOSSIBLE: True} if schema is False else {}
    if rng is None:
        kept = _FLAT.get(id(schema))
        if kept is None or kept[0] is not schema:
            if len(_FLAT) > 4096:
                _FLAT.clear()
            kept = _FLAT[id(schema)] = (schema, _flatten(schema, None))
        return kept[1]
    return _flatten(schema, rng)


def _flatten(schema: dict[str, Any], rng: random.Random | None) -> dict[str, Any]:
    if "allOf" in schema:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            merged = _merge(merged, flatten(part, rng))
        return flatten(merged, rng)
    if "if" in schema:
        return flatten(conditional(schema, lambda part: flatten(part, rng), _merge), rng)
    key = composition(schema)
    if key is not None:
        index = rng.randrange(len(schema[key])) if rng else 0
        return flatten_branch(schema, index, rng)
    return schema


def flatten_branch(schema: dict[str, Any], index: int, rng: random.Random | None = None) -> dict[str, Any]:
    """The schema (a `oneOf`/`anyOf`) with its branch `index` taken, flattened."""
    key = composition(schema) or "oneOf"
    return flatten(branch(schema, index, flatten(schema[key][index], rng), _merge), rng)


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Both schemas at once, as far as a generator needs: properties merged by name, required
    lists joined, the tighter bound of each range, the common enum values."""
    merged = {**a, **{k: v for k, v in b.items() if k not in a}}
    if "properties" in a or "properties" in b:
        left, right = a.get("properties", {}), b.get("properties", {})
        merged["properties"] = {
            name: _merge(flatten(left[name]), flatten(right[name])) if name in left and name in right
            else left.get(name, right.get(name))
            for name in {**left, **right}
        }  # fmt: skip
    if "required" in a or "required" in b:
        merged["required"] = list(dict.fromkeys([*a.get("required", []), *b.get("required", [])]))
    for low in ("minimum", "minLength", "minItems", "minProperties", "minContains"):
        if low in a and low in b:
            merged[low] = max(a[low], b[low])
    for high in ("maximum", "maxLength", "maxItems", "maxProperties", "maxContains"):
        if high in a and high in b:
            merged[high] = min(a[high], b[high])
    for bound, tighter in (("exclusiveMinimum", max), ("exclusiveMaximum", min)):
        if _numeric(a.get(bound)) and _numeric(b.get(bound)):
            merged[bound] = tighter(a[bound], b[bound])
    impossible = bool(a.get(IMPOSSIBLE) or b.get(IMPOSSIBLE))
    left, right = allowed_values(a), allowed_values(b)
    if left is not None and right is not None:
        merged.pop("const", None)
        merged["enum"] = [v for v in left if any(same(v, w) for w in right)]
        impossible = impossible or not merged["enum"]
    if "type" in a and "type" in b and a["type"] != b["type"]:
        merged["type"], none_left = merged_types(a, b)
        impossible = impossible or none_left
    for key in ("additionalProperties", "unevaluatedProperties", "items"):
        if a.get(key) is False or b.get(key) is False:
            merged[key] = False
    if "dependentRequired" in a or "dependentRequired" in b:
        both = [a.get("dependentRequired") or {}, b.get("dependentRequired") or {}]
        merged["dependentRequired"] = {
            k: sorted({*both[0].get(k, []), *both[1].get(k, [])}) for k in {*both[0], *both[1]}
        }
    if impossible:
        merged[IMPOSSIBLE] = True
    return merged


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
