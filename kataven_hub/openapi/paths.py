"""Paths in Connexion's view routed as clients send them: a path written with percent-escapes
(`/listings/%40lab`) under the text the server decodes it to (`/listings/@lab`), and a path
parameter named with characters Starlette does not route by (`{item.id}`) renamed (`item_id`),
its own name kept under `NAME` for the messages; and paths alike but for their parameters' names
named (`alike`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from kataven_hub.openapi.coercion import NAME
from kataven_hub.openapi.document import METHODS
from kataven_hub.openapi.pointers import escape

_ESCAPE = re.compile(r"%(?!2[fF])[0-9A-Fa-f]{2}")
"""A percent-escape, other than of `/` (which decoded would make another path)."""
_TEMPLATE = re.compile(r"{([^{}]+)}")
_ROUTABLE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def route_as_sent(document: dict[str, Any]) -> None:
    """The view's paths renamed in place, each where it is routed; the order kept."""
    paths = document.get("paths") or {}
    renamed: dict[str, Any] = {}
    for path, item in paths.items():
        routed = _ESCAPE.sub(lambda m: unquote(m.group()), path)
        names = {name: _routable(name, set(_TEMPLATE.findall(path))) for name in _TEMPLATE.findall(path)}
        for name, new in names.items():
            if new != name:
                routed = routed.replace(f"{{{name}}}", f"{{{new}}}")
                _rename(item, name, new)
        renamed[path if routed in paths or routed in renamed else routed] = item
    document["paths"] = renamed


def shape(path: str) -> str:
    """The path with each parameter's name left out (`/countries/{}`): paths of one shape are alike
    but for their parameters' names (a Starlette route's `{id:int}` too)."""
    return _TEMPLATE.sub("{}", path)


def alike(document: dict[str, Any]) -> list[str]:
    """A warning for each path the same as an earlier one but for its parameters' names
    (`/countries/{code2}`, `/countries/{guid}`): OpenAPI forbids them, validators accept them,
    and `web.routing` routes a request among them by its values."""
    first: dict[str, str] = {}
    warnings = []
    for path in document.get("paths") or {}:
        same = shape(str(path))
        if same in first:
            warnings.append(f"/paths/{escape(str(path))}: the same path as {first[same]} but for its parameters' names;"
                            " a request goes to one whose path parameters take its values")  # fmt: skip
        first.setdefault(same, str(path))
    return warnings


def _routable(name: str, taken: set[str]) -> str:
    if _ROUTABLE.fullmatch(name):
        return name
    new = re.sub(r"\W", "_", name)
    new = new if _ROUTABLE.fullmatch(new) else f"_{new}"
    while new in taken:
        new += "_"
    return new


def _rename(item: Any, name: str, new: str) -> None:
    """The path parameter `name` of the path item and its operations renamed `new` (they are
    copies in the view: `served` has resolved every parameter)."""
    if not isinstance(item, dict):
        return
    owners = [item] + [item[m] for m in METHODS if isinstance(item.get(m), dict)]
    for owner in owners:
        for parameter in owner.get("parameters") or []:
            if isinstance(parameter, dict) and parameter.get("in") == "path" and parameter.get("name") == name:
                parameter[NAME], parameter["name"] = name, new
