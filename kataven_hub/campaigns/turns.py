"""Turns for large uploads: at most a few are ingested at once, so that memory stays flat however
many arrive together; the others wait in order of arrival, for a bounded time."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator

from kataven_hub.errors import Unavailable

LARGE_UPLOAD = 1024 * 1024
"""An upload this size or over takes a turn (about 10,000 contacts); smaller ones cost little and
never wait behind a large one."""


class IngestTurns:
    def __init__(self, at_once: int, wait: float) -> None:
        self.at_once = at_once
        self.wait = wait
        self.waiting = 0
        self._free = asyncio.Semaphore(at_once)

    @contextlib.asynccontextmanager
    async def turn(self, size: int) -> AsyncIterator[None]:
        """Hold a turn for the block if the upload is large; Unavailable after `wait` seconds."""
        if size < LARGE_UPLOAD:
            yield
            return
        self.waiting += 1
        try:
            await asyncio.wait_for(self._free.acquire(), self.wait)
        except TimeoutError:
            raise Unavailable(
                f"busy: large uploads are ingested {self.at_once} at a time and {self.waiting - 1} more"
                f" wait; this one waited {self.wait:g} s, try again",
                retry_after=math.ceil(self.wait),
            ) from None
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._free.release()
