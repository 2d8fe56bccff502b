"""One SQLite file: a few pooled connections, one writer at a time, numbered migrations (the data
directory of them is `stores.Stores`)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kataven_hub.errors import Unavailable
from kataven_hub.storage import faults
from kataven_hub.storage.sqlite.connection import Connection
from kataven_hub.storage.sqlite.schema import Migration

log = logging.getLogger("kataven_hub.storage")
BUSY_TIMEOUT = 30.0
"""Seconds a write waits for another writer's lock (HUB_BUSY_TIMEOUT) before a 503."""
KEEP_IDLE = 1
"""Connections an account database keeps open between uses (two files each: the database and its
WAL); a burst of concurrent requests opens more for a moment and closes them after."""


class Database:
    """One SQLite file: pooled connections for reading, one writer at a time."""

    def __init__(self, path: Path, migrations: list[Migration], *, name: str = "",
                 on_work: Callable[[str], None] | None = None, keep_idle: int = KEEP_IDLE,
                 busy_timeout: float = BUSY_TIMEOUT) -> None:  # fmt: skip
        self.path = path
        self.busy_timeout = busy_timeout
        self._keep_idle = keep_idle
        self.name = name
        self._on_work = on_work
        self._write_lock = threading.Lock()
        self._idle: list[Connection] = []
        self._idle_lock = threading.Lock()
        with self.read() as conn:
            self.version_found = conn.execute("PRAGMA user_version").fetchone()[0]
        if self.version_found > len(migrations):  # written by a newer server: its data could be misread
            raise Unavailable(
                f"{path.name} has schema version {self.version_found}, newer than this server knows"
                f" ({len(migrations)}): run the newer server, or restore from a backup"
            )
        if self.version_found < len(migrations):  # a write lock only when there is work to do
            with self.write() as conn:
                _migrate(conn, migrations)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection of this database's own for the block; it sees the last committed state.
        A machine fault met in the block (a full disk, ...) leaves as its domain error (`faults`)."""
        with self._idle_lock:
            conn = self._idle.pop() if self._idle else None
        reopen = False
        try:
            if conn is None:
                conn = Connection(_connect(self.path, self.busy_timeout))
            yield conn
        except (sqlite3.Error, OSError) as exc:
            found = faults.kind(exc, self.path)
            if found is None:
                raise
            # a file SQLite opened read-only stays so: connect again once the directory is writable
            reopen = found == faults.READ_ONLY
            raise faults.error_for(exc, self.path, found) from exc
        finally:
            if conn is not None and reopen:
                conn.conn.close()
                self.close()
            elif conn is not None:
                self._put_back(conn)

    def _put_back(self, conn: Connection) -> None:
        """Keep the connection for the next use; close it if enough are kept, or if a failed
        rollback left it inside a transaction."""
        with self._idle_lock:
            keep = len(self._idle) < self._keep_idle and not conn.conn.in_transaction
            if keep:
                self._idle.append(conn)
        if not keep:
            conn.conn.close()

    @contextmanager
    def write(self, *, wait: bool = True) -> Iterator[Connection]:
        """A transaction that commits on success and leaves nothing behind on any error. The error
        reported is the first one: a rollback that fails too is logged, never raised over it.
        With `wait=False`, `Busy` at once if another thread of this process is writing."""
        if not self._write_lock.acquire(blocking=wait):
            raise faults.Busy(f"{self.name or self.path.name} is busy")
        try:
            with self.read() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException as exc:
                    _roll_back(conn, exc)
                    raise
        finally:
            self._write_lock.release()

    def mark_work(self) -> None:
        """Put this account in the dispatcher's index; called inside the write that gives it work,
        so the index is written first and a crash can leave it too wide, never too narrow."""
        if self._on_work is not None:
            self._on_work(self.name)

    def close(self) -> None:
        with self._idle_lock:
            for conn in self._idle:
                conn.conn.close()
            self._idle.clear()


def _roll_back(conn: Connection, cause: BaseException) -> None:
    if not conn.conn.in_transaction:  # SQLite rolled it back itself (a full disk can)
        return
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error as err:
        log.warning("rollback after %s failed too: %s", cause, err)


def _connect(path: Path, timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-1024")  # 1 MiB a connection
    return conn


def _migrate(conn: Connection, migrations: list[Migration]) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, migration in enumerate(migrations[version:], start=version + 1):
        migration(conn)
        conn.execute(f"PRAGMA user_version = {number}")
