"""Operations the mock serves are answered here, innermost, by `spec.mocking` (or, for the REST
shapes it remembers, by `spec.remember` over the account's database), without the trip through
Connexion's handler decorators (which parse parameters and bodies a mock never reads: two thirds
of the time of a mocked request). Routing, security and request validation have run; response
validation, outside, still checks the answer."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread
from connexion.lifecycle import ConnexionRequest
from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from kataven_hub.spec import Operation
from kataven_hub.spec.mocking import MOCK_HEADER, Mocker
from kataven_hub.spec.remember import Request, Role, answer
from kataven_hub.storage import Stores

SHARED_ACCOUNT = "mock"
"""Whose resources a request keeps when its credential names no account (a document not ours)."""


class MockAnswers:
    def __init__(self, app: ASGIApp, mocker: Mocker, mocked: dict[str, Operation], remembered: dict[str, Role],
                 stores: Stores) -> None:  # fmt: skip
        self.app = app
        self.mocker = mocker
        self.mocked = mocked
        self.remembered = remembered
        self.stores = stores

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation_id = scope.get("extensions", {}).get(ROUTING_CONTEXT, {}).get("operation_id")
        if scope["type"] != "http" or operation_id not in self.mocked:
            await self.app(scope, receive, send)
        elif operation_id in self.remembered:
            response = await self._remembered(scope, receive, self.mocked[operation_id], self.remembered[operation_id])
            await response(scope, receive, send)
        else:
            await self.mocker.answer(operation_id, request=request_key(scope))(scope, receive, send)

    async def _remembered(self, scope: Scope, receive: Receive, operation: Operation, role: Role) -> Response:
        request = Request(
            path=scope["path"], path_params=dict(scope.get("path_params") or {}),
            query=dict(parse_qsl(scope.get("query_string", b"").decode())), body=await _json_body(receive),
        )  # fmt: skip
        account = (ConnexionRequest(scope).context.get("token_info") or {}).get("account") or SHARED_ACCOUNT
        seed = f"{self.mocker.seed}:{operation.operation_id}"

        def work() -> tuple[int, Any]:
            with self.stores.account(account) as database, database.write() as conn:
                return answer(conn, operation, role, request, seed)

        status, body = await anyio.to_thread.run_sync(work)
        headers = {MOCK_HEADER: "stored"}
        if body is None:
            return Response(status_code=status, headers=headers)
        return Response(json.dumps(body), status_code=status, media_type="application/json", headers=headers)


def request_key(scope: Scope) -> str:
    """What a generated body is drawn from besides the seed and the operation: path and query."""
    return f"{scope['path']}?{scope.get('query_string', b'').decode()}"


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
