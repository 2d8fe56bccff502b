"""`hub serve --rate-limits`: each account's request limits (contract §6). Requests per minute,
hour and day are counted in moving windows by the `limits` library; requests in flight are a
count of the requests being answered (an open event stream is one, until it closes). A breach is
a `429` in `text/plain` that names the limit, with a `Retry-After` in whole seconds after which a
request is accepted again."""

from __future__ import annotations

import collections
import math
import time

import anyio.to_thread
from connexion.lifecycle import ConnexionRequest
from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from kataven_hub.campaigns.limits import request_limits
from kataven_hub.storage import Backend

WINDOWS: tuple[tuple[str, str, type[RateLimitItem], int], ...] = (
    ("per-minute", "requests_per_minute", RateLimitItemPerMinute, 60),
    ("per-hour", "requests_per_hour", RateLimitItemPerHour, 3_600),
    ("per-day", "requests_per_day", RateLimitItemPerDay, 86_400),
)


class RateLimits:
    """It sits after the security layer, which names the account, and before request validation,
    so that a request refused as invalid counts too."""

    def __init__(self, app: ASGIApp, stores: Backend) -> None:
        self.app = app
        self.stores = stores
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.in_flight: collections.Counter[str] = collections.Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        account = _account(scope)
        if account is None:
            await self.app(scope, receive, send)
            return
        limits = await anyio.to_thread.run_sync(self._limits, account)
        refusal = self._refusal(account, limits)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        self.in_flight[account] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[account] -= 1

    def _limits(self, account: str) -> dict[str, int]:
        with self.stores.account(account) as database:
            return request_limits(database)

    def _refusal(self, account: str, limits: dict[str, int]) -> PlainTextResponse | None:
        """The 429 for the first limit this request would break; else None, and it is counted."""
        if self.in_flight[account] >= limits["requests_in_flight"]:
            return _too_many(f"in-flight ({limits['requests_in_flight']})", 1)
        items: list[RateLimitItem] = []
        for name, field, kind, seconds in WINDOWS:
            if limits[field] == 0:  # blocked: no wait makes a request acceptable
                return _too_many(f"{name} (0)", seconds)
            item = kind(limits[field])
            if not self.limiter.test(item, account):
                reset_at, _remaining = self.limiter.get_window_stats(item, account)
                return _too_many(f"{name} ({limits[field]})", max(1, math.ceil(reset_at - time.time())))
            items.append(item)
        for item in items:
            self.limiter.hit(item, account)
        return None


def _account(scope: Scope) -> str | None:
    """The account that the security layer, just before, found the caller to be."""
    if scope["type"] != "http":
        return None
    return (ConnexionRequest(scope).context.get("token_info") or {}).get("account")


def _too_many(limit: str, retry_after: int) -> PlainTextResponse:
    return PlainTextResponse(
        f"rate_limited: {limit} exceeded", status_code=429, headers={"Retry-After": str(retry_after)}
    )
