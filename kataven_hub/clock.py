"""Time: one place that reads the clock and one wire format for timestamps (RFC3339, UTC)."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """RFC3339 in UTC to the second, as every timestamp leaves this server."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(value: str) -> datetime:
    """An RFC3339 timestamp (already checked for shape by the spec) as an aware datetime."""
    return datetime.fromisoformat(value.upper()).astimezone(timezone.utc)
