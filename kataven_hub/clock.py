"""Time: one place that reads the clock and one wire format for timestamps (RFC3339, UTC)."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """RFC3339 in UTC to the millisecond, as every timestamp is stored and leaves this server.
    One fixed width, so stored timestamps compare correctly as text in SQL."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse(value: str) -> datetime:
    """An RFC3339 timestamp (already checked for shape by the spec) as an aware datetime."""
    return datetime.fromisoformat(value.upper()).astimezone(timezone.utc)
