"""API-key records in system.db (hashes only, never a plaintext key)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database as Db

from kataven_hub.storage.rows import KEY_FIELDS


def insert_key(conn: Db, key: dict[str, Any]) -> None:
    conn.table("api_keys").insert(key)


def find_key(conn: Db, key_hash: str) -> dict[str, Any] | None:
    """The key record with this hash (revoked or not), or None."""
    row = conn.execute(
        f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys WHERE hash = ?", [key_hash]
    ).fetchone()
    return None if row is None else dict(zip(KEY_FIELDS, row))


def list_keys(conn: Db, account: str | None) -> list[dict[str, Any]]:
    where, params = ("WHERE account = ?", [account]) if account else ("", [])
    rows = conn.execute(
        f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys {where} ORDER BY created_at, id", params
    )
    return [dict(zip(KEY_FIELDS, row)) for row in rows]


def revoke_key(conn: Db, key_id: str, now: str) -> bool:
    """Mark a key revoked; False if there is no such live key."""
    cursor = conn.execute(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [now, key_id]
    )
    return cursor.rowcount == 1
