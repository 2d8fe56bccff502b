"""What changed between two versions of a document, for its clients: `compare` walks both
documents' operations with every `$ref` resolved (an inline schema moved to a `$ref` is no change;
`allOf` parts are merged, so regrouping them is none either; descriptions, examples and key order
are not compared; a 3.0 schema and its 3.1 spelling are the same: `diff.canonical`) and reports each change with where it is and the rule it falls under.

Every rule has a direction. A client *sends* requests: a request must still be accepted, so
anything narrowed there breaks it (a parameter or field made required, a type, format, range,
length, pattern or enum narrowed, a content type or an operation removed, security tightened). A
client *reads* answers: an answer must still be understood, so anything widened there breaks it (a
field removed, made optional or nullable, its type changed, an enum widened, a `oneOf` branch added,
a success status or its content type removed). `oneOf`/`anyOf` branches are compared pairwise, in
order. `RULES` gives each rule its default severity; `diff.gate` applies the repository's own.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from kataven_hub.diff.rules import RULES
from kataven_hub.diff.schemas import SchemaDiff
from kataven_hub.openapi.document import Operation


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
    """Every change from the `base` operations to the `revision`'s (both from `openapi.operations`)."""
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
        self._schema = SchemaDiff(self.add).compare

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
                self.add(
                    "request-parameter-made-required", where, f"{key[0]} parameter {param['name']!r} is now required"
                )
            elif param.get("required") and not new.get("required"):
                self.add(
                    "request-parameter-made-optional", where, f"{key[0]} parameter {param['name']!r} is now optional"
                )
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
                self.add(
                    "request-content-type-added", f"/requestBody/content/{_escape(media)}", f"{media} bodies accepted"
                )

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


def _requirements(requirements: list[dict[str, list[str]]]) -> str:
    return (
        " or ".join(" + ".join(f"{s}{list(sc) if sc else ''}" for s, sc in r.items()) or "none" for r in requirements)
        or "none"
    )


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
