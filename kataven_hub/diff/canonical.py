"""One form for a schema written in either dialect, OpenAPI 3.0's or 3.1's (JSON Schema 2020-12), so
that `diff.schemas` compares what a schema accepts and not how it is written: `allOf` merged, `type`
a set with null apart, bounds numeric, `const` an enum of one, annotations (`example(s)`) left out."""

from __future__ import annotations

from typing import Any

_ANY: dict[str, Any] = {}
_NUMBERS = {"integer", "number"}
_ANNOTATIONS = ("example", "examples", "nullable", "const", "type")
_REWRITTEN = frozenset(("exclusiveMinimum", "exclusiveMaximum", "const", "enum", "unevaluatedProperties",
                        "contentEncoding", "contentMediaType"))  # fmt: skip
_BOUNDS = (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum"))


def merged(schema: Any) -> dict[str, Any]:
    """The schema with its `allOf` parts merged: properties joined (one named in several parts
    becomes the `allOf` of its schemas), required lists joined, `type` the types every part that
    says one takes (null among them where 3.0 says `nullable`; an outer `nullable: true` without a
    `type` beside `allOf: [$ref]` keeps null: 3.0's idiom for a nullable `$ref`), other keywords
    the last part's."""
    if not isinstance(schema, dict) or "allOf" not in schema:
        return schema if isinstance(schema, dict) else _ANY
    found: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    types = _said(found)
    for part in (_without_null_branch(merged(p)) for p in schema["allOf"]):
        properties = dict(found.get("properties") or {})
        for name, sub in (part.get("properties") or {}).items():
            properties[name] = {"allOf": [properties[name], sub]} if name in properties else sub
        required = list(dict.fromkeys([*(found.get("required") or []), *(part.get("required") or [])]))
        found = {**found, **part, "properties": properties, "required": required}
        found = {k: v for k, v in found.items() if v or k not in ("properties", "required")}
        types = _meet(types, _said(part))
    found.pop("type", None)
    found["nullable"] = schema.get("nullable") is True and "type" not in schema
    return found if types is None else {**found, "type": sorted(types)}


def _said(schema: dict[str, Any]) -> set[str] | None:
    types = schema_type(schema)
    return None if types is None else types | ({"null"} if schema.get("nullable") is True else set())


def _meet(types: set[str] | None, others: set[str] | None) -> set[str] | None:
    """The types both accept (`integer` within `number`); None: any type."""
    if types is None or others is None:
        return others if types is None else types
    found = types & others
    if not found & _NUMBERS and types & _NUMBERS and others & _NUMBERS:
        found.add("integer")
    return found


def canonical(schema: Any) -> dict[str, Any]:
    """`schema` (3.0 or 3.1) in the one form: `type` a frozenset of the types it accepts besides
    null (None: any; inferred from `properties` or `items` where unsaid) and `nullable` whether it
    accepts null (3.0's `nullable: true`, 3.1's `"null"` in `type`, or a `{type: 'null'}` branch of
    `oneOf`/`anyOf` beside one other: FastAPI's optional field); `exclusiveMinimum: true` with
    `minimum: 5` is `exclusiveMinimum: 5`; `const: v` is `enum: [v]`; `unevaluatedProperties: false`
    is `additionalProperties: false` (`allOf` is merged); `contentEncoding: base64` is `format:
    byte` and a `contentMediaType` string `format: binary`."""
    whole = merged(schema)
    if "oneOf" in whole or "anyOf" in whole:
        whole = _without_null_branch(whole)
    said = schema_type(whole)
    found = dict(whole)
    for word in _ANNOTATIONS:
        found.pop(word, None)
    found["nullable"] = whole.get("nullable") is True or (said is not None and "null" in said)
    types = said if said is not None else _inferred(found)
    if types is not None:
        found["type"] = frozenset(types - {"null"})
    if not _REWRITTEN.isdisjoint(whole):
        _rewrite(found, whole)
    return found


def _rewrite(found: dict[str, Any], whole: dict[str, Any]) -> None:
    """`canonical`'s bounds, const, enum, unevaluatedProperties and content keywords, in place."""
    _bounds(found)
    if "const" in whole and "enum" not in whole:
        found["enum"] = [whole["const"]]
    if isinstance(found.get("enum"), list):
        found["nullable"] = found["nullable"] or (None in found["enum"] and "type" not in found)
        found["enum"] = [v for v in found["enum"] if v is not None]
    if found.get("unevaluatedProperties") is False and "additionalProperties" not in found:
        found["additionalProperties"] = False
    if "format" not in found and "string" in found.get("type", ()):
        if found.get("contentEncoding") == "base64":
            found["format"] = "byte"
        elif "contentMediaType" in found:
            found["format"] = "binary"


def schema_type(schema: dict[str, Any]) -> set[str] | None:
    """The types `schema` says it takes (`type` a string or a list), None where it says none."""
    said = schema.get("type")
    if isinstance(said, (list, set, frozenset)):  # a set: the schema is already in the one form
        return {str(t) for t in said}
    return None if said is None else {str(said)}


def _inferred(found: dict[str, Any]) -> set[str] | None:
    if any(k in found for k in ("properties", "additionalProperties", "unevaluatedProperties")):
        return {"object"}
    return {"array"} if "items" in found or "prefixItems" in found else None


def _without_null_branch(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with a `{type: 'null'}` branch of its `oneOf`/`anyOf` taken out and `nullable:
    true` said instead; a single branch left is merged into the schema."""
    for word in ("oneOf", "anyOf"):
        branches = schema.get(word)
        if not isinstance(branches, list):
            continue
        rest = [b for b in branches if schema_type(merged(b)) != {"null"}]
        if len(rest) == len(branches) or not rest:
            continue
        wrapper = {k: v for k, v in schema.items() if k != word}
        found = {**wrapper, word: rest} if len(rest) > 1 else merged({**wrapper, "allOf": rest})
        said, types = schema_type(wrapper), schema_type(found)
        if said is not None and "null" not in said:  # the wrapper's own type refuses null
            return found
        return {**found, "nullable": True, **({"type": sorted(types | {"null"})} if types else {})}
    return schema


def _bounds(found: dict[str, Any]) -> None:
    """3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` made 3.1's number, in place."""
    for inclusive, exclusive in _BOUNDS:
        flag = found.get(exclusive)
        if flag is True and inclusive in found:
            found[exclusive] = found.pop(inclusive)
        elif isinstance(flag, bool):
            del found[exclusive]
