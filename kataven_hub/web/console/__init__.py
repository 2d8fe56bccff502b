"""The campaign console (static files beside this module, no build step) at `/console/`, in dev mode
or with `--console`. It sits outside Connexion: the page is not an operation of the spec."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send


class Console:
    """The campaign console at `/console/`.
    The page itself needs no key: it calls the API with the key the user gives it."""

    DIRECTORY = Path(__file__).resolve().parent

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.files = Router(routes=[Mount("/console", app=StaticFiles(directory=self.DIRECTORY, html=True))])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == "/console" or scope["path"].startswith("/console/")):
            await self.files(scope, receive, send)
            return
        await self.app(scope, receive, send)
