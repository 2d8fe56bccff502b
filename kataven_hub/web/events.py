"""Server-Sent Events for a campaign: a snapshot at once and every `interval` seconds, a
`: heartbeat` comment every `heartbeat` seconds, and `event: end` at a terminal status. A snapshot
that cannot be read for a while (the database is away: `Unavailable`) is skipped, not the end of
the stream: the heartbeats go on, and the next snapshot that can be read is sent."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio

from kataven_hub.campaigns import TERMINAL
from kataven_hub.errors import NotFound, Unavailable


async def campaign_events(
    snapshot: Callable[[], Awaitable[dict[str, Any]]], *, interval: float, heartbeat: float
) -> AsyncIterator[str]:
    last_beat = time.monotonic()
    while True:
        try:
            current = await snapshot()
        except NotFound:  # deleted while watched
            yield _frame({"status": "deleted"}, event="end")
            return
        except Unavailable:
            current = None
        if current is not None:
            yield _frame(current)
        if current is not None and current["status"] in TERMINAL:
            yield _frame(current, event="end")
            return
        next_snapshot = time.monotonic() + interval
        while (now := time.monotonic()) < next_snapshot:
            if now - last_beat >= heartbeat:
                yield ": heartbeat\n\n"
                last_beat = now
            await anyio.sleep(min(next_snapshot, last_beat + heartbeat) - now)


def _frame(data: dict[str, Any], event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n"
