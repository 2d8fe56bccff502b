"""`hub serve --rate-limits`: each account's request limits (contract §6). Requests per minute,
hour and day are counted by the `limits` library: in moving windows in this process's memory on
SQLite (one process serves a data directory), in sliding-window counters in the database on
PostgreSQL, shared by every replica (`storage.pg.ratelimits`). Requests in flight are a count of
the requests being answered (an open event stream is one, until it closes); on PostgreSQL the
other replicas' counts are added, as they published them at most a second ago. A breach is
a `429` in `text/plain` that names the limit, with a `Retry-After` in whole seconds after which a
request is accepted again."""

from __future__ import annotations

import asyncio
import collections
import math
import time
from collections.abc import Callable, Mapping

import anyio.to_thread
from connexion.lifecycle import ConnexionRequest
from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from kataven_hub.campaigns.limits import request_limits
from kataven_hub.storage import Backend

WINDOWS: tuple[tuple[str, str, type[RateLimitItem], int], ...] = (
    ("per-minute", "requests_per_minute", RateLimitItemPerMinute, 60),
    ("per-hour", "requests_per_hour", RateLimitItemPerHour, 3_600),
    ("per-day", "requests_per_day", RateLimitItemPerDay, 86_400),
)


LIMITS_KEPT = 1.0
"""On PostgreSQL, seconds a replica keeps an account's request limits before reading them again."""


class RateLimits:
    """It sits after the security layer, which names the account, and before request validation,
    so that a request refused as invalid counts too."""

    def __init__(self, app: ASGIApp, stores: Backend) -> None:
        self.app = app
        self.stores = stores
        self.in_flight: collections.Counter[str] = collections.Counter()
        shared = stores.shared_counters()
        self.limiter: RateLimiter = MovingWindowRateLimiter(MemoryStorage())
        self.elsewhere: Callable[[str, Mapping[str, int]], int] = lambda _account, _mine: 0
        self.batches: Batches | None = None
        if shared is not None:  # replicas: the takes of requests arriving together go in one round trip
            self.limiter = SlidingWindowCounterRateLimiter(shared.storage)
            self.batches, self.elsewhere = Batches(shared.take), shared.in_flight
        self._known: dict[str, tuple[float, dict[str, int]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        account = _account(scope)
        if account is None:
            await self.app(scope, receive, send)
            return
        if self.batches is None:
            refusal = await anyio.to_thread.run_sync(self._check, account)
        else:
            refusal = await self._check_shared(account, self.batches)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        self.in_flight[account] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[account] -= 1

    def _check(self, account: str) -> PlainTextResponse | None:
        """The 429 for the first limit this request would break; else None, and it is counted (in
        this process's memory, in a worker thread: the limits are read from the account's file)."""
        limits = self._limits(account)
        refusal, items = self._windows(account, limits)
        if refusal is not None:
            return refusal
        return self._refusal(account, limits, items, _take(self.limiter, account, [item for *_, item in items]))

    async def _check_shared(self, account: str, batches: Batches) -> PlainTextResponse | None:
        """The same on PostgreSQL, on the event loop: the limits are kept a second, and the request
        is taken together with the others waiting (`Batches`)."""
        known = self._known.get(account)
        if known is not None and time.monotonic() < known[0]:
            limits = known[1]
        else:
            limits = await anyio.to_thread.run_sync(self._limits, account)
            self._known[account] = (time.monotonic() + LIMITS_KEPT, limits)
        refusal, items = self._windows(account, limits)
        if refusal is not None:
            return refusal
        self.in_flight[account] += 1  # while the take is out, so that requests arriving meanwhile count it
        try:
            refused = await batches.take(account, [item for *_, item in items])
        finally:
            self.in_flight[account] -= 1  # the caller counts it again, with no wait between, if it goes on
        if refused is None:
            return None
        return await anyio.to_thread.run_sync(self._refusal, account, limits, items, refused)

    def _limits(self, account: str) -> dict[str, int]:
        with self.stores.account(account) as database:
            return request_limits(database)

    def _windows(
        self, account: str, limits: dict[str, int]
    ) -> tuple[PlainTextResponse | None, list[tuple[str, str, RateLimitItem]]]:
        """The 429 for a limit no wait can satisfy (in flight, or a window of 0), else the windows
        to take the request in."""
        if self.in_flight[account] + self.elsewhere(account, self.in_flight) >= limits["requests_in_flight"]:
            return _too_many(f"in-flight ({limits['requests_in_flight']})", 1), []
        items: list[tuple[str, str, RateLimitItem]] = []
        for name, field, kind, seconds in WINDOWS:
            if limits[field] == 0:  # blocked: no wait makes a request acceptable
                return _too_many(f"{name} (0)", seconds), []
            items.append((name, field, kind(limits[field])))
        return None, items

    def _refusal(
        self, account: str, limits: dict[str, int], items: list[tuple[str, str, RateLimitItem]], refused: RateLimitItem | None
    ) -> PlainTextResponse | None:
        """The 429 naming the window the request was refused in, with its wait, or None."""
        if refused is None:
            return None
        name, field, item = next(entry for entry in items if entry[2] is refused)
        reset_at, _remaining = self.limiter.get_window_stats(item, account)
        return _too_many(f"{name} ({limits[field]})", max(1, math.ceil(reset_at - time.time())))



def _take(limiter: RateLimiter, account: str, items: list[RateLimitItem]) -> RateLimitItem | None:
    """Count the request in every window, or in none: the first window without room."""
    for item in items:
        if not limiter.test(item, account):
            return item
    for item in items:
        limiter.hit(item, account)
    return None


class Batches:
    """Requests waiting to be taken on PostgreSQL: while one batch is out, those arriving wait, then
    go together, in one worker thread and one round trip (none waits for a batch to fill)."""

    def __init__(self, take: Callable[[list[tuple[str, list[RateLimitItem]]]], list[RateLimitItem | None]]) -> None:
        self.send = take
        self.waiting: list[tuple[str, list[RateLimitItem], asyncio.Future[RateLimitItem | None]]] = []
        self.sender: asyncio.Task[None] | None = None

    async def take(self, account: str, items: list[RateLimitItem]) -> RateLimitItem | None:
        """None if the request was counted in every window, else the first window without room."""
        answer: asyncio.Future[RateLimitItem | None] = asyncio.get_running_loop().create_future()
        self.waiting.append((account, items, answer))
        if self.sender is None:
            self.sender = asyncio.create_task(self._send_all())
        return await answer

    async def _send_all(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    answers = await anyio.to_thread.run_sync(self.send, [(account, items) for account, items, _ in batch])
                except Exception as err:  # a database fault: each request answers it (the error map)
                    for *_, answer in batch:
                        if not answer.done():
                            answer.set_exception(err)
                    continue
                for (*_, answer), refused in zip(batch, answers):
                    if not answer.done():  # a request cancelled meanwhile (its client left) was counted
                        answer.set_result(refused)
        finally:
            self.sender = None


def _account(scope: Scope) -> str | None:
    """The account that the security layer, just before, found the caller to be."""
    if scope["type"] != "http":
        return None
    return (ConnexionRequest(scope).context.get("token_info") or {}).get("account")


def _too_many(limit: str, retry_after: int) -> PlainTextResponse:
    return PlainTextResponse(
        f"rate_limited: {limit} exceeded", status_code=429, headers={"Retry-After": str(retry_after)}
    )
