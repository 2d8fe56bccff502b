"""Two versions of a schema compared for their clients (`diff.compare` compares operations and calls
this for every parameter, body and answer). `direction` says which side the client is on: it sends
a `request` (narrowing breaks it) or reads a `response` (widening breaks it). Both schemas are
first put in one form (`diff.canonical`: 3.0 and 3.1 alike, `allOf` merged); `oneOf`/`anyOf`
branches are compared pairwise, in order; a recursive schema is compared once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kataven_hub.diff.bounds import bounds
from kataven_hub.diff.canonical import canonical

Found = tuple[str, str, str]
"""(rule, where, message) of one change."""


class SchemaDiff:
    """Compares schemas, reporting each change to `add(rule, where, message)`."""

    def __init__(self, add: Callable[[str, str, str], None]) -> None:
        self.add = add
        self.seen: set[tuple[int, int, str]] = set()
        self.forms: dict[int, tuple[Any, dict[str, Any]]] = {}

    def form(self, schema: Any) -> dict[str, Any]:
        """`canonical(schema)`, each schema put in the one form once (Stripe's has 580,000 visits)."""
        found = self.forms.get(id(schema))
        if found is None or found[0] is not schema:
            found = self.forms[id(schema)] = (schema, canonical(schema))
        return found[1]

    def compare(self, base: Any, revision: Any, where: str, direction: str) -> None:
        if not isinstance(base, dict) or not isinstance(revision, dict):
            return
        key = (id(base), id(revision), direction)
        if key in self.seen:  # a recursive schema: compared once
            return
        self.seen.add(key)
        b, r = self.form(base), self.form(revision)
        if _branches(b) or _branches(r):
            if b["nullable"] != r["nullable"]:  # a `{type: 'null'}` branch, or 3.0's nullable
                self.add(*_nullable(r["nullable"], where, direction))
            self._branches(b, r, where, direction)
            return
        for found in _values_changed(b, r, where, direction):
            self.add(*found)
        types = b.get("type")
        if types != r.get("type"):
            return
        if "object" in (types or ()) or "properties" in b or "properties" in r:
            self._properties(b, r, where, direction)
        if "array" in (types or ()):
            self.compare(b.get("items"), r.get("items"), where + "/items", direction)
            for index, (old, new) in enumerate(zip(b.get("prefixItems") or [], r.get("prefixItems") or [])):
                self.compare(old, new, f"{where}/prefixItems/{index}", direction)

    def _properties(self, b: dict[str, Any], r: dict[str, Any], where: str, direction: str) -> None:
        before, after = b.get("properties") or {}, r.get("properties") or {}
        was, now = set(b.get("required") or []), set(r.get("required") or [])
        hidden = "readOnly" if direction == "request" else "writeOnly"  # what that side never carries
        for name, schema in before.items():
            at = f"{where}/properties/{name}"
            if self.form(schema).get(hidden):
                if direction == "request" and name in now and name in after and not self.form(after[name]).get(hidden):
                    self.add("request-property-read-only-dropped", at, f"{name!r} was readOnly, and is now required")
                continue
            if name not in after:
                if direction == "response":
                    self.add("response-property-removed", at, f"{name!r} is gone")
                elif r.get("additionalProperties") is False:
                    self.add("request-property-refused", at, f"{name!r} is gone, and unknown fields are refused")
                else:
                    self.add("request-property-removed", at, f"{name!r} is no longer documented")
                continue
            if direction == "request" and name in now - was:
                self.add("request-property-made-required", at, f"{name!r} is now required")
            if direction == "response" and name in was - now:
                self.add("response-property-made-optional", at, f"{name!r} may now be missing")
            if direction == "response" and name in now - was:
                self.add("response-property-made-required", at, f"{name!r} is now always there")
            self.compare(schema, after[name], at, direction)
        for name in after.keys() - before.keys():
            if self.form(after[name]).get(hidden):
                continue
            at = f"{where}/properties/{name}"
            if direction == "request":
                required = name in now
                self.add("request-property-added-required" if required else "request-property-added", at,
                         f"new {'required ' if required else ''}field {name!r}")  # fmt: skip
            else:
                self.add("response-property-added", at, f"new field {name!r}")

    def _branches(self, b: dict[str, Any], r: dict[str, Any], where: str, direction: str) -> None:
        word = next(w for w in ("oneOf", "anyOf") if w in b or w in r)
        before, after = _branches(b) or [b], _branches(r) or [r]
        for index, (old, new) in enumerate(zip(before, after, strict=False)):
            self.compare(old, new, f"{where}/{word}/{index}", direction)
        if len(before) > len(after):
            rule = "request-branch-removed" if direction == "request" else "response-branch-removed"
            self.add(
                rule, f"{where}/{word}", f"{len(before) - len(after)} branch(es) fewer ({len(before)} -> {len(after)})"
            )
        elif len(after) > len(before):
            rule = "request-branch-added" if direction == "request" else "response-branch-added"
            self.add(
                rule, f"{where}/{word}", f"{len(after) - len(before)} branch(es) more ({len(before)} -> {len(after)})"
            )


def _values_changed(b: dict[str, Any], r: dict[str, Any], where: str, direction: str) -> list[Found]:
    """What changed in the values one schema allows: its type (then nothing else is compared),
    format, enum, nullability, ranges and lengths."""
    request = direction == "request"
    bt, rt = b.get("type"), r.get("type")
    if bt != rt:
        found = _type_changed(bt, rt, direction)
        return [(found[0], where, found[1])] if found else []
    changes: list[Found] = []
    if b.get("format") != r.get("format") and (r.get("format") is not None or not request):
        rule = "request-type-changed" if request else "response-format-changed"
        changes.append((rule, where, f"format {b.get('format')} -> {r.get('format')}"))
    changes += [(rule, where + "/enum", message) for rule, message in _enum(b, r, direction)]
    if b["nullable"] != r["nullable"]:
        changes.append(_nullable(r["nullable"], where, direction))
    tighter, looser = bounds(b, r)
    if tighter:
        changes.append(("request-narrowed" if request else "response-narrowed", where, ", ".join(tighter)))
    if looser:
        changes.append(("request-loosened" if request else "response-loosened", where, ", ".join(looser)))
    return changes


def _type_changed(before: frozenset[str] | None, after: frozenset[str] | None, direction: str) -> tuple[str, str] | None:
    """The rule and message of a type change (`None`: any type), if clients notice it: a request
    must still accept every type it did (`integer` within `number`), an answer take none new."""
    message = f"type {_named(before)} -> {_named(after)}"
    if direction == "request":
        wider = after is None or (before is not None and _within(before, after))
        return ("request-loosened" if wider else "request-type-changed"), message
    if before is None:
        return None
    if after is not None and _within(after, before):
        return ("response-narrowed", message) if len(after) < len(before) else None
    return "response-type-changed", message


def _within(types: frozenset[str], others: frozenset[str]) -> bool:
    return all(t in others or (t == "integer" and "number" in others) for t in types)


def _named(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types)) or "null"


def _nullable(now: bool, where: str, direction: str) -> Found:
    if direction == "request":
        return ("request-loosened" if now else "request-nullable-removed", where,
                "null is accepted now" if now else "null is no longer accepted")  # fmt: skip
    return ("response-property-made-nullable" if now else "response-narrowed", where,
            "may now be null" if now else "is never null now")  # fmt: skip


def _enum(b: dict[str, Any], r: dict[str, Any], direction: str) -> list[tuple[str, str]]:
    if "enum" not in b and "enum" not in r:
        return []
    before = {json.dumps(v) for v in b["enum"]} if "enum" in b else None
    after = {json.dumps(v) for v in r["enum"]} if "enum" in r else None
    found = []
    if direction == "request":
        if after is not None and (before is None or before - after):
            dropped = "any value" if before is None else ", ".join(sorted(before - after))
            found.append(("request-enum-value-removed", f"no longer accepted: {dropped}"))
        if before is not None and (after is None or after - before):
            found.append(("request-enum-value-added", f"accepted now: {_values(after, before)}"))
    else:
        if before is not None and (after is None or after - before):
            found.append(("response-enum-value-added", f"may now answer: {_values(after, before)}"))
        if after is not None and before is not None and before - after:
            found.append(("response-enum-value-removed", f"no longer answered: {', '.join(sorted(before - after))}"))
    return found


def _branches(schema: dict[str, Any]) -> list[Any]:
    return list(schema.get("oneOf") or schema.get("anyOf") or [])


def _values(found: set[str] | None, known: set[str] | None) -> str:
    return "any value" if found is None else ", ".join(sorted(found - (known or set())))
