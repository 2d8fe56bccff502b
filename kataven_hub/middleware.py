"""ASGI middleware in front of Connexion: base-path aliases, the body-size cap, service injection,
and the campaign console's page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.routing import Mount, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kataven_hub.errors import TooLarge


class PathAliases:
    """Serve `/hub-api/...` and `/v1/...` as the spec's `/...` and `/api/v1/...` (contract §1)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = canonical_path(scope["path"])
            if path != scope["path"]:
                scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


def canonical_path(path: str) -> str:
    if path.startswith("/hub-api/"):
        path = path[len("/hub-api") :]
    elif path.startswith("/v1/"):
        path = "/api" + path
    return path


class BodyLimit:
    """TooLarge (413) for a body over `limit` bytes: by `Content-Length` before reading a byte,
    else as soon as the streamed bytes pass the limit. Sits inside Connexion's error handling."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = _content_length(scope)
            if declared is not None and declared > self.limit:
                raise self._too_large()
            receive = self._counting(receive)
        await self.app(scope, receive, send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise self._too_large()
            return message

        return counting_receive

    def _too_large(self) -> TooLarge:
        return TooLarge(f"request body exceeds the limit of {self.limit} bytes")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class Inject:
    """Put named services into Connexion's request context, where handlers receive them."""

    def __init__(self, app: ASGIApp, **services: Any) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            context = scope.setdefault("extensions", {}).setdefault("connexion_context", {})
            context.update(self.services)
        await self.app(scope, receive, send)


class Console:
    """The campaign console (`kataven_hub/console/`, static files, no build step) at `/console/`.
    The page itself needs no key: it calls the API with the key the user gives it."""

    DIRECTORY = Path(__file__).resolve().parent / "console"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.files = Router(routes=[Mount("/console", app=StaticFiles(directory=self.DIRECTORY, html=True))])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == "/console" or scope["path"].startswith("/console/")):
            await self.files(scope, receive, send)
            return
        await self.app(scope, receive, send)
