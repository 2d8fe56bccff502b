"""A request rebuilt from what a consumer sent (its contract's use of an operation): the path,
query, header and cookie parameters, and the body unflattened from its field paths. A value the
contract does not hold (`<redacted>`, a multipart part's, which is never recorded) is the
document's example at that field, else one drawn for its schema (`schemas.generate`)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import quote

from kataven_hub.consumers.contract import REDACTED, segments
from kataven_hub.consumers.schemapaths import locate
from kataven_hub.consumers.unflatten import unflatten
from kataven_hub.openapi import Operation
from kataven_hub.schemas.generate import generate

FILE = "<file>"
"""What the recorder writes for a multipart part that is a file."""
FORM = "application/x-www-form-urlencoded"
ACCOUNT_HEADER = "x-account-id"
"""Named by the server's key, not by the recording (the recorded account is another server's)."""


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict[str, str] = dataclasses.field(default_factory=dict)
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    content: bytes | None = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes]] | None = None

    def shown(self) -> str:
        """`GET /pets/7?limit=5`, for a line of the report."""
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.method} {self.path}{'?' + query if query else ''}"


def rebuild(operation: Operation, used: dict[str, Any], path_values: dict[str, str], account: str, seed: int) -> Request:
    """The request to send for `used`; `path_values` are the linked path parameters (the others
    are the recorded ones)."""
    request = Request(operation.method.upper(), operation.path)
    for where_name, recorded in sorted((used.get("parameters") or {}).items()):
        where, _, name = where_name.partition(" ")
        value = path_values.get(name, recorded) if where == "path" else recorded
        if value == REDACTED:
            value = _drawn(_parameter_schema(operation, where, name), seed, where_name)
        _place(request, where, name, account if where == "header" and name.lower() == ACCOUNT_HEADER else str(value))
    if used.get("request"):
        _body(request, (operation.definition.get("requestBody") or {}).get("content") or {}, used["request"], seed)
    return request


def _place(request: Request, where: str, name: str, value: str) -> None:
    if where == "path":
        request.path = request.path.replace("{" + name + "}", quote(value, safe=""))
    elif where == "query":
        request.query[name] = value
    elif where == "header":
        request.headers[name] = value
    elif where == "cookie":
        cookie = request.headers.get("Cookie")
        request.headers["Cookie"] = f"{cookie}; {name}={value}" if cookie else f"{name}={value}"


def _parameter_schema(operation: Operation, where: str, name: str) -> dict[str, Any]:
    return next((p.get("schema") or {} for p in operation.definition.get("parameters") or []
                 if p.get("in") == where and str(p.get("name")).lower() == name.lower()), {})  # fmt: skip


def _body(request: Request, content: dict[str, Any], sent: dict[str, Any], seed: int) -> None:
    media = media_type(content, sent)
    documented = content.get(media) or {}
    schema = documented.get("schema") if isinstance(documented, dict) else None
    multipart = media.startswith("multipart/")
    values = {path: _drawn(_at(schema, path), seed, path, _example(documented, path))
              if value == REDACTED or multipart else value for path, value in sent.items()}  # fmt: skip
    if multipart:
        files = {p for p, v in sent.items() if v == FILE or _at(schema, p).get("format") == "binary"}
        request.files = {p: (p, _text(values[p]).encode()) for p in sorted(files)}
        request.data = {p: _text(v) for p, v in values.items() if p not in files}
    elif media == FORM:
        request.data = {p: _text(v) for p, v in values.items()}
    else:
        request.content = json.dumps(unflatten(values)).encode()
        request.headers["Content-Type"] = media if media.endswith("json") else "application/json"


def media_type(content: dict[str, Any], sent: dict[str, Any]) -> str:
    """The media type the consumer sent: multipart where it sent a file, else JSON where the
    document takes it, else a form, else the document's first (JSON if it has none)."""
    multipart = [m for m in content if m.startswith("multipart/")]
    if multipart and FILE in sent.values():
        return multipart[0]
    forms = [m for m in content if m.startswith("multipart/") or m == FORM]
    return next((m for m in content if m.endswith("json")), None) or next(iter(forms or content), "application/json")


def _at(schema: Any, path: str) -> dict[str, Any]:
    """The schema a field path leads to (the first of them), or `{}`."""
    return next(iter(locate(schema, segments(path))), {})


def _example(documented: Any, path: str) -> tuple[bool, Any]:
    """Whether the media type's example (its `example`, else the first of its `examples`) holds the
    field, and its value there (an array's first item on the way)."""
    if not isinstance(documented, dict):
        return False, None
    named = [e.get("value") for e in (documented.get("examples") or {}).values() if isinstance(e, dict) and "value" in e]
    value = documented["example"] if "example" in documented else named[0] if named else None
    for segment in segments(path):
        if segment == "[]" and isinstance(value, list) and value:
            value = value[0]
        elif isinstance(value, dict) and segment in value:
            value = value[segment]
        else:
            return False, None
    return value is not None, value


def _drawn(schema: dict[str, Any], seed: int, where: str, example: tuple[bool, Any] = (False, None)) -> Any:
    found, value = example
    return value if found else generate(schema, f"{seed}:{where}")


def _text(value: Any) -> str:
    """A form value as sent: a string as it is, anything else as JSON (`true`, `5`)."""
    return value if isinstance(value, str) else json.dumps(value)
