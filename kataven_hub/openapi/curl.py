"""A `curl` command that calls one operation of a document as it asks to be called: its path
parameters, required query parameters and body filled from their schemas, and a credential for
each scheme of its first security requirement (dev mode takes any that is there)."""

from __future__ import annotations

import json
import shlex
from typing import Any
from urllib.parse import quote, urlencode

from kataven_hub.openapi import Operation
from kataven_hub.schemas.generate import generate


def pick(operations: list[Operation]) -> Operation | None:
    """The operation a greeting shows: the first GET without a body, else the first operation."""
    return next((op for op in operations if op.method == "get"), operations[0] if operations else None)


def curl(base: str, operation: Operation, schemes: dict[str, Any]) -> str:
    path = operation.path
    query: dict[str, Any] = {}
    headers: list[str] = []
    cookies: list[str] = []
    for param in operation.definition.get("parameters", []):
        value = generate(param.get("schema") or {"type": "string"}, seed=param["name"])
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", quote(str(value), safe=""))
        elif param.get("required") and param["in"] == "query":
            query[param["name"]] = value
        elif param.get("required") and param["in"] == "header":
            headers.append(f"{param['name']}: {value}")
    requirements = operation.definition.get("security") or [{}]
    for name in requirements[0]:
        _credential(schemes.get(name) or {}, query, headers, cookies)
    words = ["curl", "-s", "-X", operation.method.upper()]
    words += [a for h in headers for a in ("-H", h)] + [a for c in cookies for a in ("-b", c)]
    body = _body(operation)
    if body is not None:
        words += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    url = base + path + (f"?{urlencode(query, doseq=True)}" if query else "")
    return " ".join(shlex.quote(w) for w in [*words, url])


def _credential(scheme: dict[str, Any], query: dict[str, Any], headers: list[str], cookies: list[str]) -> None:
    kind = scheme.get("type")
    if kind == "apiKey":
        where = {"query": lambda: query.__setitem__(scheme["name"], "dev"),
                 "header": lambda: headers.append(f"{scheme['name']}: dev"),
                 "cookie": lambda: cookies.append(f"{scheme['name']}=dev")}  # fmt: skip
        where.get(scheme.get("in", "header"), lambda: None)()
    elif kind == "http" and scheme.get("scheme", "").lower() == "basic":
        headers.append("Authorization: Basic ZGV2OmRldg==")  # dev:dev
    elif kind in ("http", "oauth2", "openIdConnect"):
        headers.append("Authorization: Bearer dev")


def _body(operation: Operation) -> Any:
    content = (operation.definition.get("requestBody") or {}).get("content") or {}
    media = content.get("application/json")
    return None if media is None else generate(media.get("schema") or {}, seed=operation.operation_id)
