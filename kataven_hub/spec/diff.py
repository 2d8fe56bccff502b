"""What changed between two versions of a document, for its clients: `compare` walks both
documents' operations with every `$ref` resolved (an inline schema moved to a `$ref` is no change;
`allOf` parts are merged, so regrouping them is none either; descriptions, examples and key order
are not compared) and reports each change with where it is and the rule it falls under.

Every rule has a direction. A client *sends* requests: a request must still be accepted, so
anything narrowed there breaks it (a parameter or field made required, a type, format, range,
length, pattern or enum narrowed, a content type or an operation removed, security tightened). A
client *reads* answers: an answer must still be understood, so anything widened there breaks it (a
field removed, made optional or nullable, its type changed, an enum widened, a `oneOf` branch added,
a success status or its content type removed). `oneOf`/`anyOf` branches are compared pairwise, in
order. `RULES` gives each rule its default severity; `spec.gate` applies the repository's own.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from kataven_hub.spec.document import Operation

ERROR, WARNING, INFO = "error", "warning", "info"
RULES: dict[str, tuple[str, str]] = {
    # rule: (default severity, what it means)
    "operation-removed": (ERROR, "an operation clients call is gone"),
    "operation-added": (INFO, "a new operation"),
    "request-parameter-added-required": (ERROR, "a new required parameter: requests without it are refused"),
    "request-parameter-made-required": (ERROR, "an optional parameter made required"),
    "request-parameter-removed": (WARNING, "a parameter clients may send is no longer documented"),
    "request-parameter-added": (INFO, "a new optional parameter"),
    "request-parameter-made-optional": (INFO, "a required parameter made optional"),
    "request-body-made-required": (ERROR, "a request body is now required"),
    "request-content-type-removed": (ERROR, "a request content type clients send is no longer accepted"),
    "request-content-type-added": (INFO, "a new request content type"),
    "request-type-changed": (ERROR, "a value clients send changed type or format"),
    "request-narrowed": (ERROR, "a range, length, pattern, item count or multipleOf clients send within is tighter"),
    "request-loosened": (INFO, "a request value is accepted more widely"),
    "request-enum-value-removed": (ERROR, "an enum value clients send is refused"),
    "request-enum-value-added": (INFO, "a request enum accepts a new value"),
    "request-nullable-removed": (ERROR, "null, which clients may send, is refused"),
    "request-property-added-required": (ERROR, "a new required field in a request body"),
    "request-property-made-required": (ERROR, "an optional request field made required"),
    "request-property-read-only-dropped": (ERROR, "a readOnly field (clients never sent it) is now required of them"),
    "request-property-refused": (ERROR, "a field clients may send is gone, and unknown fields are refused"),
    "request-property-removed": (WARNING, "a field clients may send is no longer documented"),
    "request-property-added": (INFO, "a new optional request field"),
    "request-branch-removed": (ERROR, "a oneOf/anyOf branch clients send is gone"),
    "request-branch-added": (INFO, "a new oneOf/anyOf branch accepted"),
    "security-added": (ERROR, "an operation that took no credential requires one"),
    "security-tightened": (ERROR, "a credential that was enough no longer is"),
    "response-property-removed": (ERROR, "a field clients read is gone"),
    "response-property-made-optional": (ERROR, "a field clients read may be missing"),
    "response-property-made-nullable": (ERROR, "a field clients read may be null"),
    "response-property-added": (INFO, "a new field in an answer"),
    "response-property-made-required": (INFO, "an optional answer field is always there"),
    "response-type-changed": (ERROR, "a value clients read changed type"),
    "response-format-changed": (WARNING, "a value clients read changed format"),
    "response-enum-value-added": (ERROR, "an answer may hold an enum value clients do not know"),
    "response-enum-value-removed": (INFO, "an answer enum has one value fewer"),
    "response-loosened": (INFO, "an answer value may be longer, larger or looser"),
    "response-narrowed": (INFO, "an answer value is narrower (no longer null, a tighter range): nothing clients read breaks"),
    "response-branch-added": (ERROR, "an answer may take a oneOf/anyOf shape clients do not know"),
    "response-branch-removed": (INFO, "an answer oneOf/anyOf has one shape fewer"),
    "response-success-status-removed": (ERROR, "a success status clients expect is gone"),
    "response-content-type-removed": (ERROR, "a success answer's content type clients read is gone"),
    "response-status-added": (WARNING, "a new status clients must handle"),
    "response-status-removed": (INFO, "an error status is no longer documented"),
}
_LOW = ("minimum", "minLength", "minItems", "minProperties")
_HIGH = ("maximum", "maxLength", "maxItems", "maxProperties")
_FLAGS = ("exclusiveMinimum", "exclusiveMaximum", "uniqueItems")


@dataclasses.dataclass(frozen=True)
class Change:
    rule: str
    operation: str
    """The operation's id (the revision's, else the base's) and its method and path."""
    label: str
    where: str
    """A JSON pointer into the operation: `/responses/200/content/application~1json/schema/properties/id`."""
    message: str

    @property
    def default_severity(self) -> str:
        return RULES[self.rule][0]


def compare(base: list[Operation], revision: list[Operation]) -> list[Change]:
    """Every change from the `base` operations to the `revision`'s (both from `spec.operations`)."""
    before = {_key(op): op for op in base}
    after = {_key(op): op for op in revision}
    changes: list[Change] = []
    for key, op in before.items():
        if key not in after:
            changes.append(Change("operation-removed", op.operation_id, op.label, "", f"{op.label} is gone"))
        else:
            _Operation(op, after[key], changes).compare()
    for key, op in after.items():
        if key not in before:
            changes.append(Change("operation-added", op.operation_id, op.label, "", f"{op.label} is new"))
    return changes


def _key(op: Operation) -> tuple[str, str]:
    """An operation's method and path, its parameters' names left out (renaming one changes no URL)."""
    return op.method, re.sub(r"\{[^}]*\}", "{}", op.path)


class _Operation:
    def __init__(self, base: Operation, revision: Operation, changes: list[Change]) -> None:
        self.base, self.revision, self.changes = base, revision, changes
        self.seen: set[tuple[int, int, str]] = set()

    def add(self, rule: str, where: str, message: str) -> None:
        self.changes.append(Change(rule, self.revision.operation_id, self.revision.label, where, message))

    def compare(self) -> None:
        b, r = self.base.definition, self.revision.definition
        self._parameters(b.get("parameters") or [], r.get("parameters") or [])
        self._request_body(b.get("requestBody"), r.get("requestBody"))
        self._responses(b.get("responses") or {}, r.get("responses") or {})
        self._security(b.get("security") or [], r.get("security") or [])

    def _parameters(self, base: list[dict[str, Any]], revision: list[dict[str, Any]]) -> None:
        before, after = _parameters(base, self.base.path), _parameters(revision, self.revision.path)
        for key, param in before.items():
            where = f"/parameters/{key[0]}/{param['name']}"
            if key not in after:
                self.add("request-parameter-removed", where, f"{key[0]} parameter {param['name']!r} is gone")
                continue
            new = after[key]
            if new.get("required") and not param.get("required"):
                self.add("request-parameter-made-required", where, f"{key[0]} parameter {param['name']!r} is now required")
            elif param.get("required") and not new.get("required"):
                self.add("request-parameter-made-optional", where, f"{key[0]} parameter {param['name']!r} is now optional")
            self._schema(param.get("schema"), new.get("schema"), where + "/schema", "request")
        for key, param in after.items():
            if key not in before:
                where = f"/parameters/{key[0]}/{param['name']}"
                required = bool(param.get("required"))
                rule = "request-parameter-added-required" if required else "request-parameter-added"
                self.add(rule, where, f"new {'required ' if required else ''}{key[0]} parameter {param['name']!r}")

    def _request_body(self, base: dict[str, Any] | None, revision: dict[str, Any] | None) -> None:
        base, revision = base or {}, revision or {}
        if revision.get("required") and not base.get("required"):
            self.add("request-body-made-required", "/requestBody", "the request body is now required")
        before, after = base.get("content") or {}, revision.get("content") or {}
        for media, content in before.items():
            where = f"/requestBody/content/{_escape(media)}"
            if media not in after:
                self.add("request-content-type-removed", where, f"{media} bodies are no longer accepted")
            else:
                self._schema(content.get("schema"), after[media].get("schema"), where + "/schema", "request")
        for media in after.keys() - before.keys():
            if before:
                self.add("request-content-type-added", f"/requestBody/content/{_escape(media)}", f"{media} bodies accepted")

    def _responses(self, base: dict[str, Any], revision: dict[str, Any]) -> None:
        for status, answer in base.items():
            where = f"/responses/{status}"
            success = str(status).startswith("2")
            if status not in revision:
                rule = "response-success-status-removed" if success else "response-status-removed"
                self.add(rule, where, f"status {status} is no longer answered")
                continue
            before, after = answer.get("content") or {}, revision[status].get("content") or {}
            for media, content in before.items():
                if media not in after:
                    if success:
                        self.add("response-content-type-removed", f"{where}/content/{_escape(media)}",
                                 f"status {status} no longer answers {media}")  # fmt: skip
                    continue
                schema_at = f"{where}/content/{_escape(media)}/schema"
                self._schema(content.get("schema"), after[media].get("schema"), schema_at, "response")
        for status in revision.keys() - base.keys():
            if "default" not in base and not (str(status)[0] + "XX") in base:
                self.add("response-status-added", f"/responses/{status}", f"new status {status} to handle")

    def _security(self, base: list[dict[str, list[str]]], revision: list[dict[str, list[str]]]) -> None:
        """Each way a client could authenticate must still be enough: some requirement of the
        revision asks for no scheme and no scope that it lacks."""
        for alternative in base or [{}]:
            if not any(all(s in alternative and set(scopes) <= set(alternative[s]) for s, scopes in need.items())
                       for need in revision or [{}]):  # fmt: skip
                rule = "security-added" if not alternative else "security-tightened"
                had = " + ".join(alternative) or "no credential"
                self.add(rule, "/security", f"{had} is no longer enough: {_requirements(revision)}")

    def _schema(self, base: Any, revision: Any, where: str, direction: str) -> None:
        if not isinstance(base, dict) or not isinstance(revision, dict):
            return
        key = (id(base), id(revision), direction)
        if key in self.seen:  # a recursive schema: compared once
            return
        self.seen.add(key)
        b, r = _merged(base), _merged(revision)
        if _branches(b) or _branches(r):
            self._branches(b, r, where, direction)
            return
        bt, rt = _type(b), _type(r)
        if bt != rt:
            self._type_changed(bt, rt, where, direction)
            return
        request = direction == "request"
        if b.get("format") != r.get("format"):
            if request and r.get("format") is not None:
                self.add("request-type-changed", where, f"format {b.get('format')} -> {r.get('format')}")
            elif not request:
                self.add("response-format-changed", where, f"format {b.get('format')} -> {r.get('format')}")
        self._enum(b, r, where, direction)
        if bool(b.get("nullable")) != bool(r.get("nullable")):
            self._nullable(bool(r.get("nullable")), where, direction)
        tighter, looser = _bounds(b, r)
        if tighter:
            self.add("request-narrowed" if request else "response-narrowed", where, ", ".join(tighter))
        if looser:
            self.add("request-loosened" if request else "response-loosened", where, ", ".join(looser))
        if bt == "object" or "properties" in b or "properties" in r:
            self._properties(b, r, where, direction)
        if bt == "array":
            self._schema(b.get("items"), r.get("items"), where + "/items", direction)

    def _type_changed(self, before: str | None, after: str | None, where: str, direction: str) -> None:
        message = f"type {before or 'any'} -> {after or 'any'}"
        if direction == "request":
            wider = after is None or (before, after) == ("integer", "number")
            self.add("request-loosened" if wider else "request-type-changed", where, message)
        elif before is not None and (before, after) != ("number", "integer"):
            self.add("response-type-changed", where, message)

    def _nullable(self, now: bool, where: str, direction: str) -> None:
        if direction == "request":
            self.add("request-loosened" if now else "request-nullable-removed", where,
                     "null is accepted now" if now else "null is no longer accepted")  # fmt: skip
        else:
            self.add("response-property-made-nullable" if now else "response-narrowed", where,
                     "may now be null" if now else "is never null now")  # fmt: skip

    def _enum(self, b: dict[str, Any], r: dict[str, Any], where: str, direction: str) -> None:
        if "enum" not in b and "enum" not in r:
            return
        before = {json.dumps(v) for v in b["enum"]} if "enum" in b else None
        after = {json.dumps(v) for v in r["enum"]} if "enum" in r else None
        if direction == "request":
            if after is not None and (before is None or before - after):
                dropped = "any value" if before is None else ", ".join(sorted(before - after))
                self.add("request-enum-value-removed", where + "/enum", f"no longer accepted: {dropped}")
            if before is not None and (after is None or after - before):
                self.add("request-enum-value-added", where + "/enum", f"accepted now: {_values(after, before)}")
        else:
            if before is not None and (after is None or after - before):
                self.add("response-enum-value-added", where + "/enum", f"may now answer: {_values(after, before)}")
            if after is not None and before is not None and before - after:
                self.add("response-enum-value-removed", where + "/enum", f"no longer answered: {', '.join(sorted(before - after))}")

    def _properties(self, b: dict[str, Any], r: dict[str, Any], where: str, direction: str) -> None:
        before, after = b.get("properties") or {}, r.get("properties") or {}
        was, now = set(b.get("required") or []), set(r.get("required") or [])
        hidden = "readOnly" if direction == "request" else "writeOnly"  # what that side never carries
        for name, schema in before.items():
            at = f"{where}/properties/{name}"
            if _merged(schema).get(hidden):
                if direction == "request" and name in now and name in after and not _merged(after[name]).get(hidden):
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
            self._schema(schema, after[name], at, direction)
        for name in after.keys() - before.keys():
            if _merged(after[name]).get(hidden):
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
            self._schema(old, new, f"{where}/{word}/{index}", direction)
        if len(before) > len(after):
            rule = "request-branch-removed" if direction == "request" else "response-branch-removed"
            self.add(rule, f"{where}/{word}", f"{len(before) - len(after)} branch(es) fewer ({len(before)} -> {len(after)})")
        elif len(after) > len(before):
            rule = "request-branch-added" if direction == "request" else "response-branch-added"
            self.add(rule, f"{where}/{word}", f"{len(after) - len(before)} branch(es) more ({len(before)} -> {len(after)})")


def _parameters(parameters: list[dict[str, Any]], path: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Parameters by location and name; path parameters by their place in the path instead."""
    places = [m for m in re.findall(r"\{([^}]*)\}", path)]
    found = {}
    for param in parameters:
        where, name = param.get("in", ""), str(param.get("name", ""))
        if where == "path" and name in places:
            name = str(places.index(name))
        found[(where, name.lower() if where == "header" else name)] = param
    return found


def _merged(schema: Any) -> dict[str, Any]:
    """The schema with its `allOf` parts merged: properties joined (one named in several parts
    becomes the `allOf` of its schemas), required lists joined, other keywords the last part's."""
    if not isinstance(schema, dict) or "allOf" not in schema:
        return schema if isinstance(schema, dict) else {}
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in map(_merged, schema["allOf"]):
        properties = dict(merged.get("properties") or {})
        for name, sub in (part.get("properties") or {}).items():
            properties[name] = {"allOf": [properties[name], sub]} if name in properties else sub
        required = list(dict.fromkeys([*(merged.get("required") or []), *(part.get("required") or [])]))
        merged = {**merged, **part, "properties": properties, "required": required}
        merged = {k: v for k, v in merged.items() if v or k not in ("properties", "required")}
    return merged


def _branches(schema: dict[str, Any]) -> list[Any]:
    return list(schema.get("oneOf") or schema.get("anyOf") or [])


def _type(schema: dict[str, Any]) -> str | None:
    if "type" in schema:
        return str(schema["type"])
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    return "array" if "items" in schema else None


def _bounds(b: dict[str, Any], r: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What got tighter and what got looser between two schemas' ranges, lengths and the like."""
    tighter: list[str] = []
    looser: list[str] = []
    for word in (*_LOW, *_HIGH):
        old, new = b.get(word), r.get(word)
        if old == new:
            continue
        higher = old is None or (new is not None and new > old) if word in _LOW else new is not None and (old is None or new < old)
        (tighter if higher else looser).append(f"{word} {old} -> {new}")
    for word in (*_FLAGS, "pattern", "multipleOf"):
        old, new = b.get(word), r.get(word)
        if old != new:
            (tighter if new not in (None, False) else looser).append(f"{word} {old} -> {new}")
    if b.get("additionalProperties") is not False and r.get("additionalProperties") is False:
        tighter.append("additionalProperties now false")
    elif b.get("additionalProperties") is False and r.get("additionalProperties") is not False:
        looser.append("additionalProperties no longer false")
    return tighter, looser


def _values(found: set[str] | None, known: set[str] | None) -> str:
    return "any value" if found is None else ", ".join(sorted(found - (known or set())))


def _requirements(requirements: list[dict[str, list[str]]]) -> str:
    return " or ".join(" + ".join(f"{s}{list(sc) if sc else ''}" for s, sc in r.items()) or "none" for r in requirements) or "none"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
