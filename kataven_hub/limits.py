"""Call limits: per-account caps the dispatcher honours. Set by operators, read through the API."""

from __future__ import annotations

from kataven_hub import storage
from kataven_hub.storage import Database

DEFAULT_LIMITS = {
    "concurrent_max": 10,
    "calls_per_minute": 60,
    "daily_calls_max": 10_000,
    "daily_minutes_max": 5_000,
}
"""What an account gets until an operator sets its limits; 0 blocks that dimension."""


def call_limits(db: Database) -> dict[str, int]:
    """The account's limits: as set by `hub limits set`, else the defaults."""
    return storage.get_limits(db.read()) or dict(DEFAULT_LIMITS)


def set_call_limits(db: Database, **changes: int | None) -> dict[str, int]:
    """Change some limits, keep the others; ValueError for a negative or unknown one."""
    for name, value in changes.items():
        if name not in DEFAULT_LIMITS:
            raise ValueError(f"unknown limit {name!r}")
        if value is not None and value < 0:
            raise ValueError(f"{name}: {value} is negative (0 blocks that dimension)")
    with db.write() as conn:
        limits = storage.get_limits(conn) or dict(DEFAULT_LIMITS)
        limits.update({k: v for k, v in changes.items() if v is not None})
        storage.put_limits(conn, limits)
    return limits
