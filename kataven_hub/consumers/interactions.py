"""A pact's interaction as a use of the document: the operation it calls (by method, and by path
matched against the path templates, with or without a server's base path) and its entry in the
consumer's contract (the same entry `hub serve --record` writes: nothing secret in it)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlparse

from kataven_hub.consumers.contract import REDACTED, example, fields
from kataven_hub.consumers.pacts import Interaction, Part
from kataven_hub.consumers.record import CREDENTIAL_HEADERS, documented_status, is_secret, key, redacted
from kataven_hub.openapi import Operation

Routed = tuple[Operation, dict[str, str]]
"""An operation and the values of its path parameters."""
_VARIABLE = re.compile(r"\{([^}]*)\}")


def route(operations: list[Operation], bases: list[str], method: str, path: str) -> Routed | None:
    """The operation a request calls: its path as the document writes it, else under one of the
    servers' base paths; a literal path before a template (`/users/me` before `/users/{id}`)."""
    path = urlparse(path).path or "/"
    tried = [path, *(path[len(base):] for base in bases if path.startswith(base + "/"))]
    for candidate in tried:
        found = [(op, values) for op in operations
                 if op.method == method.lower() and (values := _matched(op.path, candidate)) is not None]  # fmt: skip
        if found:
            return min(found, key=lambda routed: len(routed[1]))
    return None


def base_paths(document: dict[str, Any]) -> list[str]:
    """The path of every server's URL (`https://api.example.com/v1` -> `/v1`), variables at their default."""
    found = []
    for server in document.get("servers") or []:
        url, variables = str((server or {}).get("url", "")), (server or {}).get("variables") or {}
        url = _VARIABLE.sub(lambda m: str((variables.get(m.group(1)) or {}).get("default", "")), url)
        base = urlparse(url).path.rstrip("/")
        if base and base not in found:
            found.append(base)
    return found


def _matched(template: str, path: str) -> dict[str, str] | None:
    names = re.findall(r"\{([^/}]+)\}", template)
    pattern = re.sub(r"\\\{[^/}]+\\\}", "([^/]+)", re.escape(template))
    match = re.fullmatch(pattern, path)
    return {name: unquote(value) for name, value in zip(names, match.groups())} if match else None


def name(interaction: Interaction, routed: Routed | None) -> str:
    """How the contract names what the interaction calls: `GET /users/{id}`, or its own path
    where no operation has it (`hub consumers check` then says the operation is not there)."""
    return key(routed[0]) if routed else f"{interaction.method} {urlparse(interaction.path).path}"


def use(interaction: Interaction, routed: Routed | None, hidden: frozenset[tuple[str, str]]) -> dict[str, Any]:
    """The interaction's entry in its consumer's contract."""
    operation = routed[0] if routed else None
    entry: dict[str, Any] = {"operationId": operation.operation_id} if operation else {}
    parameters = _parameters(interaction, routed, hidden)
    if parameters:
        entry["parameters"] = parameters
    definition = operation.definition if operation else {}
    request = _fields(interaction.request, _schemas(definition.get("requestBody")))
    if request:
        entry["request"] = request
    status = documented_status(operation, interaction.status) if operation else None
    documented = definition["responses"][status] if status else None
    entry["answers"] = {str(interaction.status): _fields(interaction.answer, _schemas(documented))}
    return entry


def sent(interaction: Interaction, routed: Routed | None) -> dict[str, dict[str, str]]:
    """What the request sends, by where: path values, the first of each query parameter, headers."""
    return {"path": routed[1] if routed else {}, "query": {k: v[0] for k, v in interaction.query.items() if v},
            "header": interaction.request.headers}  # fmt: skip


def _parameters(interaction: Interaction, routed: Routed | None, hidden: frozenset[tuple[str, str]]) -> dict[str, Any]:
    """Every documented parameter sent, and every query parameter sent that is not documented (a
    filter the consumer relies on); credentials never."""
    found: dict[str, Any] = {}
    given = sent(interaction, routed)
    documented = routed[0].definition.get("parameters") or [] if routed else []
    for parameter in documented:
        where, named = str(parameter.get("in", "")), str(parameter.get("name", ""))
        if (where, named.lower()) in hidden or (where == "header" and named.lower() in CREDENTIAL_HEADERS):
            continue
        value = given.get(where, {}).get(named.lower() if where == "header" else named)
        if value is not None:
            found[f"{where} {named}"] = REDACTED if is_secret(named, value, [parameter.get("schema") or {}]) else example(value)
    known = {str(p.get("name")) for p in documented if p.get("in") == "query"}
    for named, value in given["query"].items():
        if named not in known and ("query", named.lower()) not in hidden:
            found[f"query {named}"] = REDACTED if is_secret(named, value, []) else example(value)
    return found


def _fields(part: Part, schemas: list[Any]) -> dict[str, Any]:
    if not part.has_body or part.body is None and part.media and not _json(part.media):
        return {}
    return redacted(fields(part.body), schemas)


def _schemas(documented: Any) -> list[Any]:
    content = (documented.get("content") if isinstance(documented, dict) else None) or {}
    return [media.get("schema") for media in content.values() if isinstance(media, dict) and "schema" in media]


def _json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")
