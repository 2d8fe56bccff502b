"""Connexion's routing, with the mount of each document matching every path: Starlette's mount
pattern (`{path:path}`, `.*`) stops at a newline, so a path parameter with one (`/species/a%0Ab`)
was a 404 where the document takes any string. Paths the same but for their parameters' names
(`/countries/{code2}` and `/countries/{guid}`: OpenAPI forbids them, validators accept them) are
routed by the values: to the first whose path parameters' schemas take them, else to the first."""

from __future__ import annotations

import re
from typing import Any

from connexion.middleware.routing import RoutingMiddleware
from connexion.spec import Specification
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from kataven_hub.openapi.coercion import coerce, original
from kataven_hub.openapi.document import METHODS
from kataven_hub.schemas.dialect import FORMATS, RequestValidator


class Routing(RoutingMiddleware):
    def add_api(self, specification: Specification, base_path: str | None = None, arguments: dict[str, Any] | None = None,
                **kwargs: Any) -> None:  # fmt: skip
        super().add_api(specification, base_path=base_path, arguments=arguments, **kwargs)
        for route in self.router.routes:
            if isinstance(route, Mount) and not route.path_regex.flags & re.DOTALL:
                route.path_regex = re.compile(route.path_regex.pattern, route.path_regex.flags | re.DOTALL)
        mounted = self.router.routes[-1]
        if isinstance(mounted, Mount):
            _choose_among_alike(mounted.routes, _path_schemas(specification))


class _Alike:
    """Routes of one method whose paths differ only in their parameters' names, as the first of
    them: each request goes to the first whose path parameters' schemas take its values."""

    def __init__(self, routes: list[Route], schemas: dict[str, dict[str, Any]]) -> None:
        self.names = list(routes[0].param_convertors)
        self.choices = [(route.app, list(route.param_convertors), schemas.get(_operation_id(route)) or {}) for route in routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        values = [scope["path_params"].get(name) for name in self.names]
        chosen = next((choice for choice in self.choices if _takes(choice[2], dict(zip(choice[1], values, strict=True)))),
                      self.choices[0])  # fmt: skip
        app, names, _schemas = chosen
        others = {k: v for k, v in scope["path_params"].items() if k not in self.names}
        await app({**scope, "path_params": {**others, **dict(zip(names, values, strict=True))}}, receive, send)


def _choose_among_alike(routes: list[Any], schemas: dict[str, dict[str, Any]]) -> None:
    alike: dict[tuple[str, frozenset[str]], list[Route]] = {}
    for route in routes:
        if isinstance(route, Route) and route.param_convertors:
            shape = re.sub(r"\(\?P<\w+>", "(", route.path_regex.pattern)
            alike.setdefault((shape, frozenset(route.methods or ())), []).append(route)
    for group in alike.values():
        if len(group) > 1:
            group[0].app = _Alike(group, schemas)


def _path_schemas(specification: Specification) -> dict[str, dict[str, Any]]:
    """operationId: {path parameter: its schema (the document's own)}, from Connexion's resolved document."""
    found: dict[str, dict[str, Any]] = {}
    for item in (specification.get("paths") or {}).values():
        for method in METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict) and "operationId" in operation:
                parameters = [*(item.get("parameters") or []), *(operation.get("parameters") or [])]
                found[operation["operationId"]] = {p["name"]: original(p.get("schema") or {}) for p in parameters
                                                   if isinstance(p, dict) and p.get("in") == "path" and "name" in p}  # fmt: skip
    return found


def _operation_id(route: Route) -> Any:
    return getattr(route.app, "operation_id", None)


def _takes(schemas: dict[str, Any], values: dict[str, Any]) -> bool:
    return all(RequestValidator(schemas.get(name) or {}, format_checker=FORMATS).is_valid(coerce(value, schemas.get(name) or {}))
               for name, value in values.items())  # fmt: skip
