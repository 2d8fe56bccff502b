"""Storage: the only module that touches SQLite.

One database file per account (`accounts/<name>.db`) and `system.db` for API keys, each in WAL
mode with its schema kept by numbered migrations. Readers get a connection per thread; writers
take the file's lock and `BEGIN IMMEDIATE`, so concurrent requests never see "database is locked".
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]

CAMPAIGN_FIELDS = (
    "id", "name", "agent_id", "phone_number_id", "max_concurrent_calls", "retries_per_contact",
    "retry_delay_seconds", "scheduled_at", "started_at", "completed_at", "created_at",
    "created_by", "status", "contacts_total",
)  # fmt: skip


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
        self.system = Database(data_dir / "system.db", SYSTEM_MIGRATIONS)
        self._accounts: dict[str, Database] = {}
        self._lock = threading.Lock()

    def account(self, name: str) -> Database:
        """The database of a (validly named) account, created on first use."""
        with self._lock:
            if name not in self._accounts:
                path = self.data_dir / "accounts" / f"{name}.db"
                self._accounts[name] = Database(path, ACCOUNT_MIGRATIONS)
            return self._accounts[name]

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


# --- account databases ---------------------------------------------------------------------


def _account_v1(db: sqlite_utils.Database) -> None:
    db["campaigns"].create(
        {
            "id": str, "name": str, "agent_id": str, "phone_number_id": str,
            "max_concurrent_calls": int, "retries_per_contact": int, "retry_delay_seconds": int,
            "scheduled_at": str, "started_at": str, "completed_at": str, "created_at": str,
            "created_by": str, "status": str, "contacts_total": int,
        },
        pk="id",
        not_null={"name", "agent_id", "phone_number_id", "status", "created_at", "created_by"},
    )  # fmt: skip
    db["contacts"].create(
        {
            "id": int, "campaign_id": str, "phone_number": str, "custom_fields": str,
            "status": str, "attempts": int, "last_attempt_at": str, "next_attempt_at": str,
            "last_outcome": str, "session_id": str, "created_at": str,
        },
        pk="id",
        not_null={"campaign_id", "phone_number", "custom_fields", "status", "attempts"},
        foreign_keys=[("campaign_id", "campaigns", "id")],
    )  # fmt: skip
    db["contacts"].create_index(["campaign_id", "status", "id"])


ACCOUNT_MIGRATIONS: list[Migration] = [_account_v1]


def insert_campaign(
    db: sqlite_utils.Database, campaign: dict[str, Any], contacts: Iterable[tuple[str, dict[str, str]]]
) -> None:
    """Insert a campaign and its contacts (all `pending`) inside the caller's transaction."""
    columns = [f for f in CAMPAIGN_FIELDS if f in campaign]
    db.execute(
        f"INSERT INTO campaigns ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [campaign[c] for c in columns],
    )
    campaign_id, created_at = campaign["id"], campaign["created_at"]
    db.conn.executemany(
        "INSERT INTO contacts (campaign_id, phone_number, custom_fields, status, attempts,"
        " created_at) VALUES (?, ?, ?, 'pending', 0, ?)",
        (
            (campaign_id, number, json.dumps(fields, ensure_ascii=False), created_at)
            for number, fields in contacts
        ),
    )


def get_campaign(db: sqlite_utils.Database, campaign_id: str) -> dict[str, Any] | None:
    """The campaign as the spec's data.Campaign (empty fields omitted), or None."""
    row = db.execute(
        f"SELECT {', '.join(CAMPAIGN_FIELDS)} FROM campaigns WHERE id = ?", [campaign_id]
    ).fetchone()
    return None if row is None else _present(dict(zip(CAMPAIGN_FIELDS, row)))


def _present(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if v is not None}


# --- system database: API keys -------------------------------------------------------------


def _system_v1(db: sqlite_utils.Database) -> None:
    db["api_keys"].create(
        {
            "id": str, "account": str, "name": str, "hash": str, "hint": str,
            "created_at": str, "revoked_at": str,
        },
        pk="id",
        not_null={"account", "hash", "hint", "created_at"},
    )  # fmt: skip
    db["api_keys"].create_index(["hash"], unique=True)


SYSTEM_MIGRATIONS: list[Migration] = [_system_v1]
KEY_FIELDS = ("id", "account", "name", "hint", "created_at", "revoked_at")


def insert_key(db: sqlite_utils.Database, key: dict[str, Any]) -> None:
    db["api_keys"].insert(key)


def find_key(db: sqlite_utils.Database, key_hash: str) -> dict[str, Any] | None:
    """The key record with this hash (revoked or not), or None."""
    row = db.execute(
        f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys WHERE hash = ?", [key_hash]
    ).fetchone()
    return None if row is None else dict(zip(KEY_FIELDS, row))


def list_keys(db: sqlite_utils.Database, account: str | None) -> list[dict[str, Any]]:
    where, params = ("WHERE account = ?", [account]) if account else ("", [])
    rows = db.execute(
        f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys {where} ORDER BY created_at, id", params
    )
    return [dict(zip(KEY_FIELDS, row)) for row in rows]


def revoke_key(db: sqlite_utils.Database, key_id: str, now: str) -> bool:
    """Mark a key revoked; False if there is no such live key."""
    cursor = db.execute(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [now, key_id]
    )
    return cursor.rowcount == 1
