"""Dev mode's forced answers and faults. `Prefer: code=NNN`, `example=NAME` (RFC 7240 syntax,
Stoplight Prism's names) answer from the spec instead of the handler; `delay=MS` waits first; a
seeded share of requests gets the documented 500. It sits innermost, after routing, auth and
request validation, so a forced or faulted answer is still a valid request's and changes nothing
stored."""

from __future__ import annotations

import asyncio
import random

from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from kataven_hub.errors import InvalidInput
from kataven_hub.mock.mocker import Mocker, preferences
from kataven_hub.web.mockanswers import request_key

MAX_DELAY_MS = 10_000
"""The longest `Prefer: delay=MS` honoured; a longer one waits this long."""


class Prefer:
    """Dev mode: `Prefer: code=NNN`, `example=NAME` (RFC 7240 syntax, Prism's names) answer from
    the spec instead of the handler, and `delay=MS` waits first; `error_rate` of the requests
    (seeded) are answered with the operation's documented 500. It sits after routing, auth and
    request validation, so a forced or faulted answer changes nothing stored."""

    def __init__(self, app: ASGIApp, mocker: Mocker, error_rate: float = 0.0, seed: int = 0) -> None:
        self.app = app
        self.mocker = mocker
        self.error_rate = error_rate
        self._random = random.Random(seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = preferences(Headers(scope=scope).getlist("prefer")) if scope["type"] == "http" else {}
        operation_id = scope.get("extensions", {}).get(ROUTING_CONTEXT, {}).get("operation_id")
        if operation_id is None or not self.mocker.knows(operation_id):  # not the main document's (/_hub/)
            await self.app(scope, receive, send)
            return
        if "delay" in wanted:
            delay = wanted["delay"]
            if not delay.isdigit():
                raise InvalidInput(f"Prefer: delay={delay} is not a number of milliseconds")
            await asyncio.sleep(min(int(delay), MAX_DELAY_MS) / 1000)
        code = wanted.get("code")
        if code is None and self.error_rate and self.mocker.documents(operation_id, 500):
            if self._random.random() < self.error_rate:
                code = "500"  # an injected fault: what the spec documents for a server error
        if code is None and "example" not in wanted:
            await self.app(scope, receive, send)
            return
        if code is not None and not code.isdigit():
            raise InvalidInput(f"Prefer: code={code} is not a status code")
        response = self.mocker.answer(
            operation_id, code=int(code) if code else None, example=wanted.get("example"), request=request_key(scope)
        )
        await response(scope, receive, send)
