"""Time: one place that reads the clock and one wire format for timestamps (RFC3339, UTC).

An account's clock can run ahead of the machine's (dev mode's control surface moves it forward:
`kataven_hub.control`): work done in that account runs inside `shifted`, and `now` there is the
account's time."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone

_AHEAD: ContextVar[timedelta] = ContextVar("clock_ahead", default=timedelta(0))


def now() -> datetime:
    return datetime.now(timezone.utc) + _AHEAD.get()


@contextlib.contextmanager
def shifted(ahead: timedelta) -> Iterator[None]:
    """`now` runs `ahead` of the machine's clock inside."""
    token = _AHEAD.set(ahead)
    try:
        yield
    finally:
        _AHEAD.reset(token)


def iso(moment: datetime) -> str:
    """RFC3339 in UTC to the millisecond, as every timestamp is stored and leaves this server.
    One fixed width, so stored timestamps compare correctly as text in SQL."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def not_before(moment: datetime) -> str:
    """`iso` rounded up to the millisecond: for a due time that must not be reached early."""
    rounded = moment + timedelta(microseconds=(1000 - moment.microsecond % 1000) % 1000)
    return iso(rounded)


def parse(value: str) -> datetime:
    """An RFC3339 timestamp (already checked for shape by the spec) as an aware datetime."""
    return datetime.fromisoformat(value.upper()).astimezone(timezone.utc)
