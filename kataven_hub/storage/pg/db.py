"""The PostgreSQL backend: one pool of connections for every account, a transaction-level
advisory lock per account for its writes, migrations applied once however many replicas start.

An account's writes take `pg_advisory_xact_lock(hash of the account)`: the account has one writer
at a time across every replica, as a SQLite file has in one process, so a check and the write it
allows (two `start`s against one budget, a round's caps) cannot interleave. The lock takes no
transaction id, and PostgreSQL releases it when the holder's connection closes, however its
process dies. A dispatcher round only tries the lock, and skips an account that is busy; it rounds
the accounts it holds several at a time, in one transaction (`storage.pg.together`)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from importlib import resources
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from kataven_hub import switches
from kataven_hub.errors import ConfigurationError, Unavailable
from kataven_hub.storage.base import Connection, SharedCounters
from kataven_hub.storage.pg import faults, together
from kataven_hub.storage.pg.connections import (
    RECONNECT_FOR,
    account_key,
    check_if_idle,
    connect_options,
    mark_used,
    transaction,
)
from kataven_hub.storage.pg.queries import PgConnection
from kataven_hub.storage.pg.work import Leases

log = logging.getLogger("kataven_hub.storage")
MIGRATE_KEY = 7_261_043_598_225_901
"""The advisory lock under which migrations run: replicas starting together apply each once."""


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, SQL) of every migration, in order."""
    found = []
    for entry in resources.files("kataven_hub.storage.pg").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text()))
    return sorted(found)


class PgDatabase:
    """One account's rows (or, with no account, the API keys), through the shared pool."""

    def __init__(self, backend: PgBackend, name: str | None) -> None:
        self.backend, self.account = backend, name
        self._in_write = threading.local()

    @property
    def name(self) -> str:
        return self.account or ""

    @contextmanager
    def read(self) -> Iterator[PgConnection]:
        """Each statement on its own (autocommit: one round trip, no COMMIT after)."""
        with self.backend.connection() as conn:
            yield PgConnection(conn, self.account, self.backend.node)

    @contextmanager
    def write(self, *, wait: bool = True) -> Iterator[PgConnection]:
        """One transaction holding the account's lock; with `wait=False`, faults.Busy at once if
        another holds it (a dispatcher round skips the account). BEGIN and the lock go in one
        round trip (two statements, no parameter: the key is a number of ours)."""
        with self.backend.connection() as conn, faults.translated(), transaction(conn, self._lock_statement(wait)) as rows:
            if not (rows and rows[0][0]):
                raise faults.Busy(f"account {self.account} is busy")
            self._in_write.conn = conn
            try:
                yield PgConnection(conn, self.account, self.backend.node)
            finally:
                self._in_write.conn = None

    def _lock_statement(self, wait: bool) -> str:
        """What takes the account's lock (waiting for it, or only trying), answering whether it was
        taken; the system store (API keys) and the control run take none."""
        if self.account is None or switches.NO_ACCOUNT_LOCK:
            return "SELECT true"
        key = account_key(self.account)
        return f"SELECT true FROM pg_advisory_xact_lock({key})" if wait else f"SELECT pg_try_advisory_xact_lock({key})"

    def mark_work(self) -> None:
        """In the write's own transaction: the account among those the dispatchers lease, and its
        `changes` counted (the replica holding it rounds it again even if it was quiet)."""
        conn = getattr(self._in_write, "conn", None)
        assert conn is not None, "mark_work is called inside write()"
        conn.execute(
            "INSERT INTO account_work (account) VALUES (%s)"
            " ON CONFLICT (account) DO UPDATE SET changes = account_work.changes + 1", [self.account],
        )  # fmt: skip

    def close(self) -> None:
        pass


class PgBackend:
    """Every account in one PostgreSQL database (`HUB_DATABASE_URL`)."""

    def __init__(self, url: str, *, busy_timeout: float = 30.0, max_size: int = 16) -> None:
        self.url = url
        self.node = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.busy_timeout = busy_timeout
        migrate(url)
        self.pool = ConnectionPool(
            url, min_size=2, max_size=max_size, timeout=faults.POOL_WAIT, open=True, name="hub",
            kwargs={**connect_options(), "autocommit": True}, check=check_if_idle, reset=mark_used,
            reconnect_timeout=RECONNECT_FOR,
        )  # fmt: skip
        self.system = PgDatabase(self, None)
        self.work = Leases(self)
        self._known: set[str] = set()
        self._known_lock = threading.Lock()
        self._counters: SharedCounters | None = None

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection for the block; a database that is away is `Unavailable` (503)."""
        with faults.translated(), self.pool.connection() as conn:
            yield conn

    @contextmanager
    def account(self, name: str) -> Iterator[PgDatabase]:
        """The account's store; its `accounts` row is made on first use, as a SQLite file is."""
        if name not in self._known:
            with self.connection() as conn:
                conn.execute("INSERT INTO accounts (account) VALUES (%s) ON CONFLICT DO NOTHING", [name])
            with self._known_lock:
                self._known.add(name)
        yield PgDatabase(self, name)

    def write_many(self, names: list[str]) -> AbstractContextManager[Mapping[str, Connection]]:
        """The accounts' dispatcher rounds in one transaction (`storage.pg.together`)."""
        return together.write_many(self, names)

    def has_account(self, name: str) -> bool:
        with self.connection() as conn:
            return conn.execute("SELECT 1 FROM accounts WHERE account = %s", [name]).fetchone() is not None

    def account_names(self) -> list[str]:
        with self.connection() as conn:
            return [row[0] for row in conn.execute("SELECT account FROM accounts ORDER BY account")]

    def is_open(self, name: str) -> bool:
        return name in self._known

    def open_count(self) -> int:
        return len(self._known)

    def shared_counters(self) -> SharedCounters:
        """The request counters in the database, made on first use (`--rate-limits`)."""
        if self._counters is None:
            from kataven_hub.storage.pg.ratelimits import InFlight, PostgresStorage

            storage = PostgresStorage(self)
            self._counters = SharedCounters(storage, storage.take, InFlight(self).others)
        return self._counters

    def __enter__(self) -> PgBackend:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.work.leave()
        self.pool.close()


def migrate(url: str) -> int:
    """Apply the migrations not yet applied, each in its own transaction, under an advisory lock
    (replicas starting together wait for each other); refuse a database newer than this server
    knows. How many were applied."""
    known = migrations()
    try:
        conn = psycopg.connect(url, autocommit=True, **connect_options())
    except psycopg.Error as err:
        raise ConfigurationError(f"cannot connect to the database at HUB_DATABASE_URL: {faults.first_line(err)}") from None
    with conn:
        conn.execute("SET lock_timeout = 0")  # another replica's migrations take what they take
        conn.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_KEY])
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        newest = max(applied, default=0)
        if newest > (known[-1][0] if known else 0):
            raise Unavailable(
                f"the database has schema version {newest}, newer than this server knows ({known[-1][0]}):"
                " run the newer server"
            )
        done = 0
        for version, name, sql in known:
            if version in applied:
                continue
            with conn.transaction():
                conn.execute(sql.encode())
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", [version, name])
            log.info("applied database migration %s", name)
            done += 1
        conn.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_KEY])
    return done
