"""A contract checked against a document: every operation a consumer called is still there (by
method and path), and every parameter, request field, status and answer field it used is still
documented, its example of a type the document allows. Each break names what and shows the example."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from kataven_hub.consumers.contract import REDACTED, ROOT, Contract, segments
from kataven_hub.consumers.record import documented_status, key
from kataven_hub.consumers.schemapaths import fitting, locate
from kataven_hub.openapi import Operation

_TEMPLATE = re.compile(r"\{[^}]*\}")
_SCALARS: dict[str, Any] = {
    "integer": lambda v: re.fullmatch(r"[-+]?\d+", v),
    "number": lambda v: re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", v),
    "boolean": lambda v: v.lower() in ("true", "false"),
}


@dataclasses.dataclass(frozen=True)
class Break:
    consumer: str
    operation: str
    """`GET /pets/{id}`, as the contract names it."""
    what: str
    example: str

    def __str__(self) -> str:
        return f"{self.consumer}: {self.operation}: {self.what} (example: {self.example})"


def check(contract: Contract, operations: list[Operation]) -> list[Break]:
    """Every use in the contract the document no longer allows, in the contract's order."""
    by_call = {_call(key(op)): op for op in operations}
    found: list[Break] = []
    for name, used in sorted(contract["operations"].items()):
        operation = by_call.get(_call(name))
        if operation is None:
            what = "the operation is no longer in the document"
            found.append(Break(contract["consumer"], name, what, example_call(name, used)))
            continue
        found += [Break(contract["consumer"], name, what, example) for what, example in _uses(operation, used)]
    return found


def _uses(operation: Operation, used: dict[str, Any]) -> list[tuple[str, str]]:
    problems = [problem for where_name, value in sorted((used.get("parameters") or {}).items())
                if (problem := _parameter(operation, where_name, value))]  # fmt: skip
    request = operation.definition.get("requestBody") or {}
    if used.get("request") and not request:
        problems.append(("the request body is no longer documented", shown(used["request"])))
    elif used.get("request"):
        problems += _fields("request field", _schemas(request), used["request"])
    for status, answered in sorted((used.get("answers") or {}).items()):
        documented = documented_status(operation, int(status)) if status.isdigit() else None
        if documented is None:
            problems.append((f"status {status} is no longer documented", shown(answered)))
        else:
            problems += _fields(f"answer {status} field", _schemas(operation.definition["responses"][documented]), answered)
    return problems


def _parameter(operation: Operation, where_name: str, value: Any) -> tuple[str, str] | None:
    where, _, name = where_name.partition(" ")
    fold = str.lower if where == "header" else str
    documented = [p for p in operation.definition.get("parameters") or []
                  if p.get("in") == where and fold(str(p.get("name"))) == fold(name)]  # fmt: skip
    if not documented:
        return f"{where} parameter {name} is no longer documented", json.dumps(value)
    if value != REDACTED and not raw_fits(str(value), documented[0].get("schema") or {}):
        return f"{where} parameter {name} is no longer of the type sent ({_kind(documented[0].get('schema'))})", json.dumps(value)
    return None


def _fields(what: str, schemas: list[Any], used: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    for path, value in sorted(used.items()):
        reached = [leaf for schema in schemas for leaf in locate(schema, segments(path))]
        shown = f"{path} = {json.dumps(value, ensure_ascii=False)}"
        if not reached and not (path == ROOT and not schemas):
            problems.append((f"{what} {path} is no longer documented", shown))
        elif reached and value != REDACTED and not fitting(reached, value):
            problems.append((f"{what} {path} is no longer of the type used ({_kind(reached[0])})", shown))
    return problems


def _schemas(documented: Any) -> list[Any]:
    content = (documented.get("content") if isinstance(documented, dict) else None) or {}
    return [media.get("schema") for media in content.values() if isinstance(media, dict) and "schema" in media]


def raw_fits(text: str, schema: dict[str, Any]) -> bool:
    """Whether a parameter's text still parses as the schema's type (each item of an array)."""
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return all(raw_fits(part, items if isinstance(items, dict) else {}) for part in text.split(","))
    check = _SCALARS.get(kind) if isinstance(kind, str) else None
    return check is None or bool(check(text))


def _kind(schema: Any) -> str:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return "/".join(kind) if isinstance(kind, list) else str(kind or "any")


def _call(name: str) -> str:
    """`GET /pets/{id}` and `GET /pets/{petId}` are the same call."""
    return _TEMPLATE.sub("{}", name)


def example_call(name: str, used: dict[str, Any]) -> str:
    method, _, path = name.partition(" ")
    for where_name, value in (used.get("parameters") or {}).items():
        where, _, parameter = where_name.partition(" ")
        if where == "path":
            path = path.replace("{" + parameter + "}", str(value))
    return f"{method} {path}"


def shown(fields: dict[str, Any]) -> str:
    return ", ".join(f"{p} = {json.dumps(v, ensure_ascii=False)}" for p, v in sorted(fields.items())[:3])
