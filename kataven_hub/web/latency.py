"""Dev mode's injected latency (`--latency MS|LOW-HIGH`). It sits inside Connexion's error handling
and before everything that does work, so that every API answer waits, errors included."""

from __future__ import annotations

import asyncio
import random

from starlette.types import ASGIApp, Receive, Scope, Send

from kataven_hub.web.aliases import is_api


class Latency:
    """Dev mode: every API answer (not the spec, Swagger UI or other pages) waits a time drawn
    uniformly from `bounds` (seconds), from a seeded generator."""

    def __init__(self, app: ASGIApp, bounds: tuple[float, float], seed: int = 0) -> None:
        self.app = app
        self.bounds = bounds
        self._random = random.Random(seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_api(scope["path"]):
            await asyncio.sleep(self._random.uniform(*self.bounds))
        await self.app(scope, receive, send)
