"""What the mock remembers: resources by collection path and id, as JSON, in creation order."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database as Db


def next_number(conn: Db) -> int:
    """One more than the resources the account ever had remembered (an id never comes back)."""
    row = conn.execute("SELECT coalesce(max(seq), 0) FROM mock_resources").fetchone()
    return int(row[0]) + 1


def put_resource(conn: Db, collection: str, resource_id: str, body: dict[str, Any]) -> str:
    """Store the resource; its JSON text."""
    text = json.dumps(body)
    conn.execute(
        "INSERT INTO mock_resources (collection, id, body) VALUES (?, ?, ?)"
        " ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body",
        [collection, resource_id, text],
    )
    return text


def get_resource(conn: Db, collection: str, resource_id: str) -> str | None:
    """The resource's JSON text, or None."""
    row = conn.conn.execute(
        "SELECT body FROM mock_resources WHERE collection = ? AND id = ?", [collection, resource_id]
    ).fetchone()
    return None if row is None else str(row[0])


def list_resources(conn: Db, collection: str, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page of a collection, oldest first, and how many there are."""
    rows = conn.execute(
        "SELECT body FROM mock_resources WHERE collection = ? ORDER BY seq LIMIT ? OFFSET ?", [collection, limit, offset]
    ).fetchall()
    total = conn.execute("SELECT count(*) FROM mock_resources WHERE collection = ?", [collection]).fetchone()[0]
    return [json.loads(body) for (body,) in rows], int(total)


def resource_collections(conn: Db) -> list[str]:
    """Every collection path the account has a resource under."""
    return [str(c) for (c,) in conn.execute("SELECT DISTINCT collection FROM mock_resources ORDER BY collection").fetchall()]


def delete_resource(conn: Db, collection: str, resource_id: str) -> bool:
    cursor = conn.execute("DELETE FROM mock_resources WHERE collection = ? AND id = ?", [collection, resource_id])
    return cursor.rowcount == 1
