"""Services into Connexion's request context, where handlers receive them as keyword arguments
(`hub`). It sits just before routing, so that every later layer can read them too."""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionRequest
from starlette.types import ASGIApp, Receive, Scope, Send


class Inject:
    """Put named services into Connexion's request context, where handlers receive them."""

    def __init__(self, app: ASGIApp, **services: Any) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            ConnexionRequest(scope).context.update(self.services)
        await self.app(scope, receive, send)
