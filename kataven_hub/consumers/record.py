"""One request and its answer as a use of an operation: the documented parameters sent, the fields
of the request body, the status and the fields of the answer, each with its example; credentials
left out and secret values (`format: password`, `writeOnly`, a key or a token) written `<redacted>`."""

from __future__ import annotations

import dataclasses
import json
import re
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from kataven_hub.consumers.contract import REDACTED, example, fields, segments
from kataven_hub.consumers.schemapaths import locate, secret
from kataven_hub.openapi import Operation

CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
_SECRET_NAME = re.compile(r"pass(word|phrase)?$|secret|token|api[-_]?key|credential|private[-_]?key|authorization", re.I)
_SECRET_VALUE = re.compile(r"^(sk_live_|Bearer |Basic )|^eyJ[\w-]+\.[\w-]+\.")
_PART_NAME = re.compile(rb'content-disposition:[^\r\n]*?\bname="([^"]*)"(;\s*filename=)?', re.I)


@dataclasses.dataclass(frozen=True)
class Exchange:
    """What the recorder saw of one request and its answer (a body over its bound is None)."""

    path: str
    query: bytes
    headers: dict[str, str]
    """Lower-case names."""
    request_body: bytes | None
    status: int
    answer_type: str
    answer_body: bytes | None


def key(operation: Operation) -> str:
    """`GET /pets/{id}`: how a contract names an operation (what the consumer calls)."""
    return f"{operation.method.upper()} {operation.path}"


def credentials(document: dict[str, Any]) -> frozenset[tuple[str, str]]:
    """`(in, name)` of every API-key scheme's parameter: never written."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    return frozenset((s.get("in", ""), str(s.get("name", "")).lower()) for s in schemes.values()
                     if isinstance(s, dict) and s.get("type") == "apiKey")  # fmt: skip


def use(operation: Operation, seen: Exchange, hidden: frozenset[tuple[str, str]]) -> dict[str, Any]:
    """The operation's entry in a contract for this one exchange."""
    entry: dict[str, Any] = {"operationId": operation.operation_id}
    for section, found in (("parameters", _parameters(operation, seen, hidden)), ("request", _request_fields(operation, seen))):
        if found:
            entry[section] = found
    status = documented_status(operation, seen.status)
    if status is not None:
        schemas = _schemas(operation.definition["responses"][status])
        entry["answers"] = {str(seen.status): redacted(_answer_fields(seen), schemas)}
    return entry


def documented_status(operation: Operation, status: int) -> str | None:
    """The key of `responses` that documents `status` (`404`, `4XX`, `default`), or None."""
    responses = operation.definition.get("responses") or {}
    return next((k for k in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default") if k in responses), None)


def _parameters(operation: Operation, seen: Exchange, hidden: frozenset[tuple[str, str]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    query = dict(reversed(parse_qsl(seen.query.decode("latin-1"), keep_blank_values=True)))  # the first of each
    cookies = SimpleCookie(seen.headers.get("cookie", ""))
    sent = {"path": path_values(operation.path, seen.path), "query": query, "cookie": {k: m.value for k, m in cookies.items()}}
    for parameter in operation.definition.get("parameters") or []:
        where, name = parameter.get("in", ""), str(parameter.get("name", ""))
        if (where, name.lower()) in hidden or (where == "header" and name.lower() in CREDENTIAL_HEADERS):
            continue
        value = seen.headers.get(name.lower()) if where == "header" else sent.get(where, {}).get(name)
        if value is not None:
            found[f"{where} {name}"] = REDACTED if is_secret(name, value, [parameter.get("schema") or {}]) else example(str(value))
    return found


def path_values(template: str, path: str) -> dict[str, str]:
    """The path parameters' values: `/pets/{id}` and `/pets/7` -> `{"id": "7"}`."""
    names = re.findall(r"\{([^/}]+)\}", template)
    match = re.fullmatch(re.sub(r"\\\{[^/}]+\\\}", "([^/]+)", re.escape(template)), path)
    return dict(zip(names, match.groups())) if match else {}


def _request_fields(operation: Operation, seen: Exchange) -> dict[str, Any]:
    media = seen.headers.get("content-type", "").split(";")[0].strip().lower()
    body = seen.request_body
    if not body or body.isspace():
        return {}
    if _json(media):
        found = fields(_parsed(body))
    elif media == "application/x-www-form-urlencoded":
        found = fields(dict(reversed(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))))
    elif media.startswith("multipart/"):
        found = {m.group(1).decode("utf-8", "replace"): "<file>" if m.group(2) else "" for m in _PART_NAME.finditer(body)}
    else:
        return {}
    content = ((operation.definition.get("requestBody") or {}).get("content")) or {}
    return redacted(found, [media_type.get("schema") for media_type in content.values() if isinstance(media_type, dict)])


def _answer_fields(seen: Exchange) -> dict[str, Any]:
    if seen.answer_body is None or not _json(seen.answer_type.split(";")[0].strip().lower()):
        return {}
    return fields(_parsed(seen.answer_body)) if seen.answer_body.strip() else {}


def _schemas(documented: Any) -> list[Any]:
    content = (documented.get("content") if isinstance(documented, dict) else None) or {}
    return [media_type.get("schema") for media_type in content.values() if isinstance(media_type, dict)]


def redacted(found: dict[str, Any], schemas: list[Any]) -> dict[str, Any]:
    """The fields with the value of each secret one written `<redacted>`."""
    kept = {}
    for path, value in found.items():
        parts = segments(path)
        reached = [leaf for schema in schemas for leaf in locate(schema, parts)]
        kept[path] = REDACTED if is_secret(parts[-1] if parts else "", value, reached) else value
    return kept


def is_secret(name: str, value: Any, schemas: list[dict[str, Any]]) -> bool:
    return (secret(schemas) or bool(_SECRET_NAME.search(name))
            or (isinstance(value, str) and bool(_SECRET_VALUE.search(value))))  # fmt: skip


def _json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _parsed(body: bytes) -> Any:
    """The body's JSON; a body that is not JSON is kept as the one field `$`, its start as example."""
    try:
        return json.loads(body)
    except ValueError:
        return body[:80].decode("utf-8", "replace")
