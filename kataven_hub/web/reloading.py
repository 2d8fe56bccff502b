"""`hub serve --watch`: the app over the document as it is now, built again when the document or a
file it refers to changes (polled), each request answered by the version current when it started;
an edit that does not load leaves the last good version serving."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kataven_hub import openapi
from kataven_hub.errors import ConfigurationError
from kataven_hub.openapi.document import forget_read
from kataven_hub.schemas.satisfy import short
from kataven_hub.storage import Backend
from kataven_hub.web import edits

log = logging.getLogger(__name__)
POLL = 0.2
"""Seconds between two looks at the files' modification times."""
SETTLE = 0.05
"""Seconds a changed file must stay unchanged before it is read (an editor may write it in parts)."""


class Reloading:
    """The ASGI app `hub serve --watch` runs: it forwards each request to the current version, and
    on its own lifespan runs `services` (what every version shares), the versions' lifespans and
    the watch."""

    def __init__(self, build: Callable[[], ASGIApp], services: Callable[[], AbstractAsyncContextManager[None]],
                 spec: Path, *, lenient: bool, stores: Backend, poll: float = POLL, mount: str = "") -> None:  # fmt: skip
        self._build, self._services, self.spec, self._lenient, self._stores = build, services, spec, lenient, stores
        self.mount = mount
        """The prefix it is served under (`web.mounts`), which its remembered collections start with."""
        self.poll = poll
        self._files = edits.sources(spec)
        self._stamps = edits.stamps(self._files)
        self._document = openapi.load(spec, lenient=lenient)
        self.current = _Version(build())  # a document that does not serve refuses the start, as without --watch
        self._retiring: dict[asyncio.Task[None], _Version] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        version = self.current  # a reload during the request does not change who answers it
        version.requests += 1
        try:
            await version.app(scope, receive, send)
        finally:
            version.requests -= 1

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        async with contextlib.AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(self._services())
                await self.current.lifespan.start()
                stack.push_async_callback(self._stop_versions)
                watching = asyncio.create_task(self._watch())
                stack.push_async_callback(_cancelled, watching)
            except Exception as err:
                await send({"type": "lifespan.startup.failed", "message": _why(err)})
                return
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll)
            seen = edits.stamps(self._files)
            if seen == self._stamps:
                continue
            await asyncio.sleep(SETTLE)
            if edits.stamps(self._files) == seen:
                await self._reload()

    async def _reload(self) -> None:
        """The document read again and served, or the reason it is not, in one line."""
        self._files = await anyio.to_thread.run_sync(edits.sources, self.spec)
        self._stamps = edits.stamps(self._files)  # before reading: an edit from now on is seen next time
        try:
            document, app = await anyio.to_thread.run_sync(self._load)
            version = _Version(app)
            await version.lifespan.start()
        except Exception as err:
            log.warning("%s: not reloaded, the last good version still serves: %s", self.spec.name, _why(err))
            return
        retired, self.current = self.current, version
        before, self._document = self._document, document
        log.info("%s: reloaded", self.spec.name)
        task = asyncio.create_task(self._retire(retired))
        self._retiring[task] = retired
        task.add_done_callback(lambda _task: self._retiring.pop(task, None))
        await anyio.to_thread.run_sync(self._describe, openapi.operations(before), openapi.operations(document))

    def _load(self) -> tuple[dict[str, Any], ASGIApp]:
        forget_read()  # the document's text may be the same, and a file it refers to not
        return openapi.load(self.spec, lenient=self._lenient), self._build()

    def _describe(self, before: list[openapi.Operation], after: list[openapi.Operation]) -> None:
        """The edit in `hub diff`'s words, and the remembered records it leaves invalid, logged."""
        for line in edits.changes(before, after, self.spec.parent / "hub-diff.toml"):
            log.info("%s: %s", self.spec.name, short(line, 400))
        records, invalid, unfixable = edits.unvalidated(self._stores, after, self.mount)
        log.info(
            "%s: %d of %d remembered records no longer validate against it as stored: reads complete %d of them"
            " to it, the plain mock answers the other %d (nothing is deleted)",
            self.spec.name, invalid, records, invalid - unfixable, unfixable,
        )  # fmt: skip

    async def _retire(self, version: _Version) -> None:
        """A replaced version's lifespan ended once the requests it was answering are answered."""
        while version.requests:
            await asyncio.sleep(self.poll)
        await version.lifespan.stop()

    async def _stop_versions(self) -> None:
        for task, version in list(self._retiring.items()):
            await _cancelled(task)
            await version.lifespan.stop()
        await self.current.lifespan.stop()


@dataclasses.dataclass(eq=False)
class _Version:
    """One version of the app, with its lifespan and the requests it is answering."""

    app: ASGIApp
    requests: int = 0
    lifespan: Lifespan = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.lifespan = Lifespan(self.app)


class Lifespan:
    """An app's lifespan, driven as a server drives it: start-up, and shut-down when asked."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """ConfigurationError, in one line, if the app's start-up fails."""
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        self._task = asyncio.ensure_future(self.app(scope, self._to_app.get, self._from_app.put))
        await self._to_app.put({"type": "lifespan.startup"})
        await self._expect(self._task, "lifespan.startup.complete")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None or task.done():
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        await self._expect(task, "lifespan.shutdown.complete")
        await task

    async def _expect(self, task: asyncio.Task[None], wanted: str) -> None:
        answer = asyncio.ensure_future(self._from_app.get())
        await asyncio.wait({answer, task}, return_when=asyncio.FIRST_COMPLETED)
        message = answer.result() if answer.done() else None
        answer.cancel()
        if message is None or message["type"] != wanted:
            with contextlib.suppress(Exception):
                await task  # its error is the message's; retrieved, not left to be warned of
            raise ConfigurationError(f"start-up failed: {(message or {}).get('message') or 'the lifespan ended'}")


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _why(err: Exception) -> str:
    """An error in one bounded line."""
    return short(str(err) if isinstance(err, ConfigurationError) else f"{type(err).__name__}: {err}", 300)
