"""Base-path aliases (contract §1): `/hub-api/...` and `/v1/...` are served as the spec's `/...`
and `/api/v1/...`. Outermost but for CORS: every later layer, Connexion's routing included,
sees only the spec's paths."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class PathAliases:
    """Rewrite an aliased path to the spec's before anything else reads it."""

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


def is_api(path: str) -> bool:
    """Whether `path` (aliased or not) is an API operation's, not the spec's, Swagger UI's or a page's."""
    return canonical_path(path).startswith("/api/")
