"""What keeps a large contacts file from slowing the server: worker processes that normalize it in
batches at the lowest priority, an ordered map over them that keeps only a few batches in memory,
and no cyclic garbage collection while it is parsed and stored."""

from __future__ import annotations

import collections
import contextlib
import gc
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import TypeVar

In = TypeVar("In")
Out = TypeVar("Out")
_paused = 0
_was_enabled = True
_paused_lock = threading.Lock()


def ingest_pool(workers: int) -> Executor | None:
    """Worker processes for `parse_contacts`, or None for fewer than two (one would only add
    copying). Forked from a clean server process that has already imported this module."""
    if workers < 2:
        return None
    import multiprocessing  # noqa: PLC0415 - with the first pool: a tenth of a second of every start
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["kataven_hub.campaigns.ingest"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_background)


def _background() -> None:
    """Workers yield the CPU to the server: a bulk upload must not slow other requests."""
    os.nice(19)


def window_map(
    pool: Executor, work: Callable[[In], Out], batches: Iterator[In]
) -> Iterator[Out]:
    """`pool.map` in order, with at most two batches per worker submitted and not yet collected
    (Executor.map would read, and keep, every batch at once)."""
    window = 2 * getattr(pool, "_max_workers", 2)
    pending: collections.deque[Future[Out]] = collections.deque()
    try:
        for batch in batches:
            pending.append(pool.submit(work, batch))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # the caller stopped early (a refused file): drop the batches no worker has begun
        for future in pending:
            future.cancel()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file is parsed and stored. Its 100,000 contacts are
    tuples and strings, freed by reference counting once stored; but as they pile up they set off
    full collections, each of which holds the GIL for tens of milliseconds while the event loop
    waits for it. Counted, for ingests that overlap."""
    global _paused, _was_enabled
    with _paused_lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
