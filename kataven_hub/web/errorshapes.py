"""Which operation an error belongs to, and the body it documents for that error: a JSON string
where the document says `type: string` (ours) or says nothing, else its 4xx (or `default`) schema
filled with the message (in a list of messages where it has no text for it; a list of error
objects: one); a refused request's status (a 422 where that is what the operation documents). A
path that matches a template but not the type of a path parameter is named here too (routing
refused it as a 404; it is the client's 400)."""

from __future__ import annotations

import re
from typing import Any

from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.types import Scope

from kataven_hub.openapi import Operation
from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.flatten import flatten
from kataven_hub.schemas.generate import generate

MESSAGE_FIELDS = ("message", "detail", "error", "title", "description", "reason")
STATUS_FIELDS = ("code", "status", "statusCode", "status_code")
_NUMERIC = {"integer": int, "number": float}


class ErrorShapes:
    """The documented error answers of one document's operations."""

    def __init__(self, operations: list[Operation]) -> None:
        self.by_id = {op.operation_id: op for op in operations}
        self.templates = [(_pattern(op.path), op) for op in operations]

    def operation(self, scope: Scope) -> Operation | None:
        """The operation the request was routed to, else the first whose path template and method
        match (a path parameter of the wrong type), else the first on that path (a 405)."""
        routed = scope.get("extensions", {}).get(ROUTING_CONTEXT, {}).get("operation_id")
        if routed in self.by_id:
            return self.by_id[routed]
        method, path = scope.get("method", "").lower(), scope.get("path", "")
        on_path = [op for pattern, op in self.templates if pattern.match(path)]
        return next((op for op in on_path if op.method == method), on_path[0] if on_path else None)

    def allowed(self, path: str) -> list[str]:
        """The methods the document has for the first template `path` matches (a 405's `Allow`)."""
        for pattern, op in self.templates:
            if pattern.match(path):
                return sorted({o.method.upper() for p, o in self.templates if p.pattern == pattern.pattern})
        return []

    def wrong_path_type(self, scope: Scope) -> str | None:
        """`petId: 'abc' is not of type 'integer'` where the path matches a template of the request's
        method but one of its numeric path parameters does not parse."""
        operation = self.operation(scope)
        if operation is None or operation.method != scope.get("method", "").lower():
            return None
        match = _pattern(operation.path).match(scope["path"])
        assert match is not None
        for param in operation.definition.get("parameters", []):
            kind = (param.get("schema") or {}).get("type")
            if param.get("in") == "path" and isinstance(kind, str) and kind in _NUMERIC and param["name"] in _names(operation.path):
                value = match.group(_names(operation.path).index(param["name"]) + 1)
                try:
                    _NUMERIC[kind](value)
                except ValueError:
                    return f"{param['name']}: {value!r} is not of type '{kind}'"
        return None

    def status(self, scope: Scope, status: int) -> int:
        """A refused request's status: 400, or 422 where its operation documents a 422 and no 400
        (FastAPI's documents do): a client is told what it handles."""
        operation = self.operation(scope)
        responses = (operation.definition.get("responses") or {}) if operation else {}
        return 422 if status == 400 and "422" in responses and "400" not in responses else status

    def media_type(self, scope: Scope, status: int) -> str:
        """The content type of the error's answer: the JSON type its operation documents for it."""
        operation = self.operation(scope)
        found = error_media(operation, status) if operation else None
        return found[0] if found else "application/json"

    def body(self, scope: Scope, status: int, message: str) -> Any:
        """What the error's body is: the message, or the documented error object filled with it."""
        operation = self.operation(scope)
        schema = error_schema(operation, status) if operation else None
        if schema and flatten(schema).get("type") == "array" and isinstance(items := flatten(schema).get("items"), dict):
            filled = [_filled(items, status, message)]  # a list of errors (SendGrid's): this one
            return filled if isinstance(filled[0], dict) and answer_errors(schema, filled) is None else message
        if not schema or flatten(schema).get("type", "object") != "object":
            return message
        return _filled(schema, status, message)


def _filled(schema: dict[str, Any], status: int, message: str) -> Any:
    body = generate(schema, seed=f"error:{status}", examples=False)
    if not isinstance(body, dict):
        return message
    properties = flatten(schema).get("properties", {})
    strings = [n for n, s in properties.items() if flatten(s).get("type") == "string" and not flatten(s).get("enum")]
    target = next((n for n in MESSAGE_FIELDS if n in strings), strings[0] if strings else None)
    filled = dict(body)
    if target:
        filled[target] = message
    elif lists := [n for n, s in properties.items() if _texts(s) and any(word in n.lower() for word in ("message", "error"))]:
        filled[lists[0]] = [message]  # a list of messages (Jira's `errorMessages`): this one
    for name in STATUS_FIELDS:
        if flatten(properties.get(name, {})).get("type") == "integer":
            filled[name] = status
    return filled if answer_errors(schema, filled) is None else body


def _texts(schema: dict[str, Any]) -> bool:
    """Whether the schema is a list of strings."""
    flat = flatten(schema)
    return flat.get("type") == "array" and flatten(flat.get("items") or {}).get("type") == "string"


def error_schema(operation: Operation, status: int) -> dict[str, Any] | None:
    found = error_media(operation, status)
    return found[1].get("schema") if found else None


def error_media(operation: Operation, status: int) -> tuple[str, dict[str, Any]] | None:
    """The JSON media type the operation documents for a `status` answer (`application/json` first,
    else another such as `application/problem+json`) and what it says of it; None if none."""
    responses = operation.definition.get("responses", {})
    response = responses.get(str(status)) or responses.get(f"{status // 100}XX") or responses.get("default")
    content = (response or {}).get("content") or {}
    found = [(kind, media) for kind, media in content.items() if "json" in kind and isinstance(media, dict)]
    return next((pair for pair in found if pair[0] == "application/json"), found[0] if found else None)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/}]+\\\}", "([^/]+)", re.escape(template)) + "$")


def _names(template: str) -> list[str]:
    return re.findall(r"\{([^/}]+)\}", template)
