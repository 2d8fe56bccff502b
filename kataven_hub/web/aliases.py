"""Base-path aliases a document asks for with `x-hub-aliases` (ours, contract §1: `/hub-api/...`
and `/v1/...` are served as the spec's `/...` and `/api/v1/...`); a document without the
extension has none. Outermost but for CORS: every later layer, Connexion's routing included, sees
only the spec's paths."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from kataven_hub.errors import ConfigurationError

ALIASES = "x-hub-aliases"
"""The document's extension: each path prefix mapped to the prefix of its own it stands for."""
OWN_PAGES = ("/openapi.json", "/openapi.yaml", "/ui/", "/console/", "/_hub/")
"""The server's own pages, under any alias: the rest are the document's operations."""


class PathAliases:
    """Rewrite an aliased path to the spec's before anything else reads it."""

    def __init__(self, app: ASGIApp, aliases: dict[str, str]) -> None:
        self.app = app
        self.aliases = aliases

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = canonical_path(scope["path"], self.aliases)
            if path != scope["path"]:
                scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


def aliases(document: dict[str, Any]) -> dict[str, str]:
    """The document's `x-hub-aliases`; ConfigurationError, in one line, where it is not a mapping
    of path prefixes (each starting and ending with `/`)."""
    found = document.get(ALIASES) or {}
    prefixes = [*found.keys(), *found.values()] if isinstance(found, dict) else [found]
    if not all(isinstance(p, str) and p.startswith("/") and p.endswith("/") for p in prefixes):
        raise ConfigurationError(f"{ALIASES} maps path prefixes to path prefixes, each starting and ending with /")
    return dict(found)


def canonical_path(path: str, aliases: dict[str, str]) -> str:
    for alias, prefix in aliases.items():
        if path.startswith(alias):
            return prefix + path[len(alias) :]
    return path


def is_api(path: str) -> bool:
    """Whether `path` is an operation's, not the spec's, Swagger UI's or a page's (under any alias)."""
    return not any(page in path for page in OWN_PAGES) and path.rstrip("/") not in ("/ui", "/console")
