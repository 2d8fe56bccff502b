"""Operations the mock serves are answered here, innermost, by `spec.mocking`, without the trip
through Connexion's handler decorators (which parse parameters and bodies that a mock never reads:
two thirds of the time of a mocked request). Routing, security and request validation have run;
response validation, outside, still checks the answer."""

from __future__ import annotations

from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.types import ASGIApp, Receive, Scope, Send

from kataven_hub.spec.mocking import Mocker


class MockAnswers:
    def __init__(self, app: ASGIApp, mocker: Mocker, mocked: frozenset[str]) -> None:
        self.app = app
        self.mocker = mocker
        self.mocked = mocked

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation_id = scope.get("extensions", {}).get(ROUTING_CONTEXT, {}).get("operation_id")
        if scope["type"] == "http" and operation_id in self.mocked:
            await self.mocker.answer(operation_id)(scope, receive, send)
            return
        await self.app(scope, receive, send)
