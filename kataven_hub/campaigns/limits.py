"""Per-account limits, set by operators: the call limits the dispatcher honours (read through the
API), and the request-rate limits `hub serve --rate-limits` enforces (contract §6)."""

from __future__ import annotations

from kataven_hub.storage import Connection, Database

DEFAULT_LIMITS = {
    "concurrent_max": 10,
    "calls_per_minute": 60,
    "daily_calls_max": 10_000,
    "daily_minutes_max": 5_000,
}
"""What an account gets until an operator sets its limits; 0 blocks that dimension."""
DEFAULT_REQUEST_LIMITS = {
    "requests_per_minute": 60,
    "requests_per_hour": 1_000,
    "requests_per_day": 10_000,
    "requests_in_flight": 20,
}
"""Contract §6, enforced only by `hub serve --rate-limits`; 0 blocks that dimension."""
ALL_LIMITS = {**DEFAULT_LIMITS, **DEFAULT_REQUEST_LIMITS}


def call_limits(database: Database) -> dict[str, int]:
    """The account's call limits: as set by `hub limits set`, else the defaults."""
    return _limits(database, DEFAULT_LIMITS)


def request_limits(database: Database) -> dict[str, int]:
    """The account's request-rate limits: as set by `hub limits set`, else the defaults."""
    return _limits(database, DEFAULT_REQUEST_LIMITS)


def all_limits(database: Database) -> dict[str, int]:
    return _limits(database, ALL_LIMITS)


def call_limits_in(conn: Connection) -> dict[str, int]:
    """`call_limits` from a connection already held, as inside a transaction."""
    return _stored_or_default(conn, DEFAULT_LIMITS)


def _limits(database: Database, defaults: dict[str, int]) -> dict[str, int]:
    with database.read() as conn:
        return _stored_or_default(conn, defaults)


def _stored_or_default(conn: Connection, defaults: dict[str, int]) -> dict[str, int]:
    stored = conn.get_limits() or {}
    return {name: stored.get(name, default) for name, default in defaults.items()}


def set_limits(database: Database, **changes: int | None) -> dict[str, int]:
    """Change some limits (call or request), keep the others; every limit after the change.
    ValueError for a negative or unknown one."""
    for name, value in changes.items():
        if name not in ALL_LIMITS:
            raise ValueError(f"unknown limit {name!r}")
        if value is not None and value < 0:
            raise ValueError(f"{name}: {value} is negative (0 blocks that dimension)")
    with database.write() as conn:
        limits = {**ALL_LIMITS, **(conn.get_limits() or {})}
        limits.update({k: v for k, v in changes.items() if v is not None})
        conn.put_limits(limits)
        database.mark_work()  # the dispatcher looks again: a raised limit may make room
    return limits
