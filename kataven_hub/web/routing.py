"""Connexion's routing, with the mount of each document matching every path: Starlette's mount
pattern (`{path:path}`, `.*`) stops at a newline, so a path parameter with one (`/species/a%0Ab`)
was a 404 where the document takes any string."""

from __future__ import annotations

import re
from typing import Any

from connexion.middleware.routing import RoutingMiddleware
from connexion.spec import Specification
from starlette.routing import Mount


class Routing(RoutingMiddleware):
    def add_api(self, specification: Specification, base_path: str | None = None, arguments: dict[str, Any] | None = None,
                **kwargs: Any) -> None:  # fmt: skip
        super().add_api(specification, base_path=base_path, arguments=arguments, **kwargs)
        for route in self.router.routes:
            if isinstance(route, Mount) and not route.path_regex.flags & re.DOTALL:
                route.path_regex = re.compile(route.path_regex.pattern, route.path_regex.flags | re.DOTALL)
