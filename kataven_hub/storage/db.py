"""SQLite files: a connection per thread for reading, one writer at a time, numbered migrations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from kataven_hub.storage import schema
from kataven_hub.storage.schema import Migration


class Database:
    """One SQLite file: a connection per thread for reading, one writer at a time."""

    def __init__(self, path: Path, migrations: list[Migration]) -> None:
        self.path = path
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        with self.write() as db:
            _migrate(db, migrations)

    def read(self) -> sqlite_utils.Database:
        """This thread's connection; it sees the last committed state."""
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-1024")  # 1 MiB a connection, and one per thread
            db = self._local.db = sqlite_utils.Database(conn)
            with self._connections_lock:
                self._connections.append(conn)
        return db

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A transaction that commits on success and leaves nothing behind on any error."""
        with self._write_lock:
            db = self.read()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


class Stores:
    """The data directory: system.db and the account databases, opened on first use."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        (data_dir / "accounts").mkdir(parents=True, exist_ok=True)
        self.system = Database(data_dir / "system.db", schema.SYSTEM)
        self._accounts: dict[str, Database] = {}
        self._lock = threading.Lock()

    def account_names(self) -> list[str]:
        """Every account that has a database file."""
        return sorted(path.stem for path in (self.data_dir / "accounts").glob("*.db"))

    def account(self, name: str) -> Database:
        """The database of a (validly named) account, created on first use."""
        with self._lock:
            if name not in self._accounts:
                path = self.data_dir / "accounts" / f"{name}.db"
                self._accounts[name] = Database(path, schema.ACCOUNT)
            return self._accounts[name]

    def __enter__(self) -> Stores:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for database in self._accounts.values():
                database.close()
            self._accounts.clear()
        self.system.close()


def _migrate(db: sqlite_utils.Database, migrations: list[Migration]) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, migration in enumerate(migrations[version:], start=version + 1):
        migration(db)
        db.execute(f"PRAGMA user_version = {number}")


