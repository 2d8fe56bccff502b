"""Several documents in one server (`hub serve --spec A --spec /billing=B`, `serving` builds it): each
document's own app, as a lone document's (its security, error shapes, `/openapi.json`), served
under its prefix with the path it sees made its own; one hub's services (accounts, keys, storage)
for all; and, outside every mount, one Swagger UI listing every document."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from jinja2 import Environment, FileSystemLoader
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path

from kataven_hub.openapi.mounts import Mounted, overlap
from kataven_hub.web import MOUNT
from kataven_hub.web.reloading import Lifespan
from kataven_hub.web.specdocs import UI_PATHS

log = logging.getLogger(__name__)


class Mounts:
    """The ASGI app: a request under a mount goes to its document's app, the prefix taken off its
    path and kept in the scope (`web.MOUNT`); the lifespan runs the shared services, then each app's."""

    def __init__(self, apps: list[tuple[Mounted, ASGIApp]], services: Callable[[], AbstractAsyncContextManager[None]]) -> None:
        self.apps = sorted(apps, key=lambda pair: len(pair[0].prefix), reverse=True)
        for document, _app in apps:
            log.info("%s: served under %s/ (its document at %s/openapi.json)", document.path, document.prefix, document.prefix)
        self._services = services
        self.pages = pages([document for document, _app in apps])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope["path"]
        for document, app in self.apps:
            if path == document.prefix or path.startswith(document.prefix + "/"):
                await app(_under(scope, document.prefix), receive, send)
                return
        await self.pages(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        async with contextlib.AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(self._services())
                for _document, app in self.apps:
                    lifespan = Lifespan(app)
                    await lifespan.start()
                    stack.push_async_callback(lifespan.stop)
            except Exception as err:
                await send({"type": "lifespan.startup.failed", "message": str(err)[:300]})
                return
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})


def _under(scope: Scope, prefix: str) -> Scope:
    """The request as its document's app sees it: its own path, the prefix kept aside."""
    path = scope["path"][len(prefix) :] or "/"
    raw: bytes = scope.get("raw_path") or b""
    raw = raw[len(prefix) :] or b"/" if raw.startswith(prefix.encode()) else path.encode()
    return {**scope, "path": path, "raw_path": raw, MOUNT: prefix}


def pages(documents: list[Mounted]) -> ASGIApp:
    """What is outside every mount: Swagger UI listing each document's `/openapi.json` (at the
    first of `/ui`, `/docs`, `/_ui` that no mount is at), and for anything else a 404 naming the mounts."""
    ui = next(path for path in UI_PATHS if not any(overlap(path, d.prefix) for d in documents))
    log.info("Swagger UI of every document: %s/", ui)
    urls = [{"url": f"{d.prefix}/openapi.json", "name": f"{d.shown} ({d.path.name})"} for d in documents]
    page = Environment(loader=FileSystemLoader(swagger_ui_path), autoescape=True).get_template("index.j2")
    html = page.render(openapi_spec_url=urls[0]["url"], urls=urls)
    mounts = ", ".join(d.shown for d in documents)

    async def nowhere(scope: Scope, receive: Receive, send: Send) -> None:
        message = f"nothing is served at {scope.get('path', '')}: the documents are mounted at {mounts} (Swagger UI: {ui}/)"
        await Response(json.dumps(message), status_code=404, media_type="application/json")(scope, receive, send)

    return Router(
        routes=[
            Route(ui, lambda _request: RedirectResponse(f"{ui}/")),
            Route(f"{ui}/", lambda _request: HTMLResponse(html)),
            Mount(ui, app=StaticFiles(directory=swagger_ui_path)),
        ],
        default=nowhere,
    )
