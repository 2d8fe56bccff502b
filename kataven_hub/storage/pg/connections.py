"""How the PostgreSQL backend's connections are made and lent: the options of every connection, a
pooled connection checked only after it sat idle, an account's lock key, and a transaction that
begins with its accounts' locks in the same round trip."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool


def account_key(account: str) -> int:
    """The advisory-lock key of an account: 64 bits of its SHA-256 (a collision only makes two
    accounts share a lock, which is safe)."""
    return int.from_bytes(hashlib.sha256(account.encode()).digest()[:8], "big", signed=True)


def key_array(accounts: Iterable[str]) -> str:
    """The accounts' lock keys as an SQL array, in the statement itself (numbers of ours, so that
    it can go in the round trip that begins a transaction, which takes no parameter)."""
    return f"ARRAY[{', '.join(str(account_key(account)) for account in accounts)}]::bigint[]"


LOCK_TIMEOUT_MS = 5000
"""A write waits this long for its account's lock (another replica's long write) before a 503."""


@contextmanager
def transaction(conn: psycopg.Connection[Any], first: str) -> Iterator[list[tuple[Any, ...]]]:
    """BEGIN and `first` in one round trip, its rows for the block; COMMIT after the block, or
    ROLLBACK on any error (one that fails too is not raised over the first: the pool then drops
    the connection)."""
    cursor = conn.execute(f"BEGIN; {first}".encode())
    cursor.nextset()
    rows = cursor.fetchall()
    try:
        yield rows
    except BaseException:
        with suppress(psycopg.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


RECONNECT_FOR = 2.0
"""A broken connection is replaced by attempts 1 s apart for this long, then given up; the next
request that finds no connection starts new attempts at once. psycopg_pool's own default (5
minutes, the gaps doubling) would leave a replica away for up to twice the outage after the
database came back; this keeps it to about a second."""

CHECK_AFTER = 1.0
"""A pooled connection idle this long is checked (one round trip) before it is lent: after the
database restarted, a stale one is replaced rather than failing a request. Under load connections
come back within this and go out unchecked."""
_returned_at: dict[int, float] = {}


def mark_used(conn: psycopg.Connection[Any]) -> None:
    _returned_at[id(conn)] = time.monotonic()


def check_if_idle(conn: psycopg.Connection[Any]) -> None:
    if time.monotonic() - _returned_at.pop(id(conn), 0.0) >= CHECK_AFTER:
        ConnectionPool.check_connection(conn)


def connect_options() -> dict[str, Any]:
    """Every connection: a dead peer noticed in seconds (TCP keepalives), a write waiting for an
    account's lock at most LOCK_TIMEOUT_MS, and a transaction left open by a stuck client ended."""
    return {
        "connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
        "options": f"-c lock_timeout={LOCK_TIMEOUT_MS} -c idle_in_transaction_session_timeout=30000",
    }  # fmt: skip
