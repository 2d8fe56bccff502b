"""Operations the mock serves are answered here, innermost, by `mock.mocker` (or, for the REST
shapes it remembers, by `mock.remember` over the account's database; below a resource that knows
its data, after asking the server itself for that resource: `mock.parents`), without the trip through
Connexion's handler decorators (which parse parameters and bodies a mock never reads: two thirds
of the time of a mocked request). Routing, security and request validation have run; response
validation, outside, still checks the answer. An id never stored, where the document gives the
operation no 404, is answered as a plain mock (as Stoplight Prism answers every id)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread
from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kataven_hub.errors import NotFound
from kataven_hub.mock.mocker import MOCK_HEADER, Mocker
from kataven_hub.mock.parents import Parent, fill
from kataven_hub.mock.remember import Request, Role, Unremembered, answer
from kataven_hub.openapi import Operation
from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.satisfy import short
from kataven_hub.storage import Backend
from kataven_hub.web import MOUNT

SHARED_ACCOUNT = "mock"
"""Whose resources a request keeps when its credential names no account (a document not ours)."""
PARENT = "hub_parent"
"""Where a stub's request carries the parent resource, for `Hub.mock`."""
NOT_PASSED = {b"content-length", b"content-type", b"transfer-encoding", b"prefer", b"accept"}
"""Headers of a request its parent's read is not asked with (its credentials are)."""
log = logging.getLogger(__name__)


class MockAnswers:
    def __init__(self, app: ASGIApp, mocker: Mocker, mocked: dict[str, Operation], remembered: dict[str, Role],
                 parents: dict[str, Parent], stores: Backend, server: Callable[[], ASGIApp]) -> None:  # fmt: skip
        self.app = app
        self.mocker = mocker
        self.mocked = mocked
        self.remembered = remembered
        self.parents = parents
        self.stores = stores
        self.server = server
        """The whole app, outermost: what a parent's read is asked through."""
        self._unremembered: set[str] = set()
        """The remembered operations named once in the log for an answer that could not validate."""

    def _covers(self, operation_id: str, status: int) -> bool:
        """Whether the operation documents `status` (never answer a status it does not)."""
        return not self.mocker.knows(operation_id) or self.mocker.covers(operation_id, status)

    def _relayed(self, operation_id: str, status: int, headers: dict[str, str], body: bytes, scope: Scope) -> Response:
        """The parent's answer as the mock's: as it is where its media type and body are what the
        operation documents for that status, else the operation's own documented answer of it."""
        if not self.mocker.knows(operation_id):
            return Response(body, status_code=status, headers=headers)
        draft = self.mocker.draft(operation_id, code=status, request=request_key(scope))
        media_type = headers.get("content-type", "").split(";")[0].strip()
        if draft.media_type is None or (
            media_type == draft.media_type and (draft.schema is None or answer_errors(draft.schema, _json(body)) is None)
        ):
            return Response(body, status_code=status, headers=headers)
        return draft.response()

    def _plain(self, operation_id: str, scope: Scope) -> Response:
        return self.mocker.draft(operation_id, request=request_key(scope)).response()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation_id = scope.get("extensions", {}).get(ROUTING_CONTEXT, {}).get("operation_id")
        if scope["type"] != "http" or (operation_id not in self.mocked and operation_id not in self.parents):
            await self.app(scope, receive, send)
            return
        parent = None
        if operation_id in self.parents:
            status, headers, parent = await self._ask(scope, self.parents[operation_id].path(scope["path"]))
            if not 200 <= status < 300 and self._covers(operation_id, status):  # the parent's 404 (401, ...)
                await self._relayed(operation_id, status, headers, parent, scope)(scope, receive, send)
                return
            parent = parent if 200 <= status < 300 else None  # a status it does not document: the plain mock
        if operation_id not in self.mocked:  # a scaffolded stub: `Hub.mock` fills its answer the same way
            scope.setdefault("extensions", {})[PARENT] = _json(parent or b"")
            await self.app(scope, receive, send)
        elif operation_id in self.remembered:
            try:
                response = await self._remembered(scope, receive, self.mocked[operation_id], self.remembered[operation_id])
            except NotFound:
                if _gives(self.mocked[operation_id], 404):
                    raise
                response = self.mocker.draft(operation_id, request=request_key(scope)).response()  # never stored: as Prism
            await response(scope, receive, send)
        else:
            draft = fill(self.mocker.draft(operation_id, request=request_key(scope)), _json(parent or b""))
            await draft.response()(scope, receive, send)

    async def _ask(self, scope: Scope, path: str) -> tuple[int, dict[str, str], bytes]:
        """GET `path` from the server itself, with the request's credentials (headers, cookies);
        in a task of its own, so that nothing it sets in the request's context leaks back."""
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in NOT_PASSED] + [(b"accept", b"application/json")]
        asked = {key: scope[key] for key in ("asgi", "http_version", "scheme", "server", "client", "root_path", MOUNT) if key in scope}
        asked |= {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
                  "headers": headers}  # fmt: skip
        status, answer_headers, chunks = 500, {}, []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status, answer_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                answer_headers = {k.decode(): v.decode() for k, v in message.get("headers", []) if k != b"content-length"}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await asyncio.ensure_future(self.server()(asked, receive, send))
        return status, answer_headers, b"".join(chunks)

    async def _remembered(self, scope: Scope, receive: Receive, operation: Operation, role: Role) -> Response:
        request = Request(
            path=scope.get(MOUNT, "") + scope["path"], path_params=dict(scope.get("path_params") or {}),
            query=dict(parse_qsl(scope.get("query_string", b"").decode())) if role.kind == "list" else {},
            body=await _json_body(receive) if role.kind in ("create", "replace", "update") else None,
        )  # fmt: skip
        token_info = scope.get("extensions", {}).get("connexion_context", {}).get("token_info")  # as ConnexionRequest
        account = (token_info or {}).get("account") or SHARED_ACCOUNT
        seed = f"{self.mocker.seed}:{operation.operation_id}"

        def work() -> tuple[int, str | None]:
            with self.stores.account(account) as database:
                with database.read() if reading else database.write() as conn:
                    return answer(conn, operation, role, request, seed)

        # a read is one indexed row (a list, one page): answered on the loop, where a trip to a
        # worker thread would cost more than the read; a write may wait for the lock, in a thread
        reading = role.kind in ("read", "list") and self.stores.is_open(account)
        try:
            status, text = work() if reading else await anyio.to_thread.run_sync(work)
        except NotFound:
            if self._covers(operation.operation_id, 404):
                raise
            return self._plain(operation.operation_id, scope)  # it documents no 404: what the plain mock says
        except Unremembered as failure:
            if operation.operation_id not in self._unremembered:
                self._unremembered.add(operation.operation_id)
                log.warning("%s; the plain mock answers it instead", short(str(failure), 400))
            return self._plain(operation.operation_id, scope)
        headers = {MOCK_HEADER: "stored"}
        if text is None:
            return Response(status_code=status, headers=headers)
        return Response(text, status_code=status, media_type="application/json", headers=headers)


def _gives(operation: Operation, status: int) -> bool:
    """Whether the document gives the operation `status` (itself, its range, or `default`)."""
    responses = operation.definition.get("responses") or {}
    return str(status) in responses or f"{status // 100}XX" in responses or "default" in responses


def request_key(scope: Scope) -> str:
    """What a generated body is drawn from besides the seed and the operation: path and query."""
    return f"{scope['path']}?{scope.get('query_string', b'').decode()}"


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def _json_body(receive: Receive) -> Any:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    raw = b"".join(chunks)
    try:
        return json.loads(raw) if raw else None
    except ValueError:  # not JSON (a form): nothing to keep beyond what the schema generates
        return None
