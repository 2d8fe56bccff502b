"""Connexion's routing, with the mount of each document matching every path: Starlette's mount
pattern (`{path:path}`, `.*`) stops at a newline, so a path parameter with one (`/species/a%0Ab`)
was a 404 where the document takes any string. Paths the same but for their parameters' names
(`/countries/{code2}` and `/countries/{guid}`: OpenAPI forbids them, validators accept them) are
routed by the values: to the one whose path parameters' schemas take them (of several, one that
constrains them, then the first), else to the first."""

from __future__ import annotations

import re
from typing import Any

from connexion.middleware.routing import RoutingMiddleware
from connexion.spec import Specification
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from kataven_hub.openapi.coercion import coerce, original
from kataven_hub.openapi.document import METHODS
from kataven_hub.openapi.paths import shape
from kataven_hub.schemas.dialect import FORMATS_2020, RequestValidator


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
    """One of the routes of a method whose paths differ only in their parameters' names (and
    types): a request it matches goes to a route whose path parameters' schemas take the values
    (formats checked, `uuid` too), one that constrains them before one that takes any text (a
    UUID to `{guid}` rather than `{countryName}`), else where it was routed."""

    def __init__(self, route: Route, choices: list[tuple[Any, dict[str, Any], dict[str, Any]]]) -> None:
        self.own, self.app, self.choices = route.param_convertors, route.app, choices

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sent = [convertor.to_string(scope["path_params"][name]) for name, convertor in self.own.items()]
        for app, convertors, schemas in self.choices:
            texts = dict(zip(convertors, sent, strict=True))
            if all(re.fullmatch(convertors[name].regex, text) for name, text in texts.items()) and _takes(schemas, texts):
                others = {k: v for k, v in scope["path_params"].items() if k not in self.own}
                params = {name: convertors[name].convert(text) for name, text in texts.items()}
                await app({**scope, "path_params": {**others, **params}}, receive, send)
                return
        await self.app(scope, receive, send)


def _choose_among_alike(routes: list[Any], schemas: dict[str, dict[str, Any]]) -> None:
    alike: dict[tuple[str, frozenset[str]], list[Route]] = {}
    for route in routes:
        if isinstance(route, Route) and route.param_convertors:
            alike.setdefault((shape(route.path), frozenset(route.methods or ())), []).append(route)
    for group in alike.values():
        if len(group) > 1:
            choices = [(route.app, route.param_convertors, schemas.get(_operation_id(route)) or {}) for route in group]
            choices.sort(key=lambda choice: not any(_constrains(schema) for schema in choice[2].values()))
            for route in group:
                route.app = _Alike(route, choices)


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
    return all(RequestValidator(schemas.get(name) or {}, format_checker=FORMATS_2020).is_valid(coerce(value, schemas.get(name) or {}))
               for name, value in values.items())  # fmt: skip


_CONSTRAINTS = {"pattern", "format", "enum", "const", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum", "multipleOf"}  # fmt: skip


def _constrains(schema: Any) -> bool:
    """Whether the schema takes less than any text."""
    if isinstance(schema, list):
        return any(_constrains(item) for item in schema)
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    return bool(_CONSTRAINTS & set(schema)) or kind not in (None, "string") or any(_constrains(v) for v in schema.values())
