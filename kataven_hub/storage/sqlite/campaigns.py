"""Campaigns, their contacts and the account's call limits, in an account database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database as Db

from kataven_hub.storage.rows import CAMPAIGN_FIELDS, CONTACT_FIELDS, LIMIT_FIELDS, contact, present

_SELECT_CAMPAIGN = f"SELECT {', '.join(CAMPAIGN_FIELDS)} FROM campaigns"
_SELECT_CONTACT = f"SELECT {', '.join(CONTACT_FIELDS)} FROM contacts"


def insert_campaign(
    conn: Db,
    campaign: dict[str, Any],
    contacts: Iterable[tuple[str, str]],
    *,
    columns: list[str],
) -> None:
    """Insert a campaign and its contacts (number, custom-field values as a JSON array, in the
    order of `columns`), all `pending` and with consecutive ids, in the caller's transaction;
    consecutive ids let a page of contacts be found by arithmetic. The names are kept once, on
    the campaign, so what is stored stays linear in the size of the upload."""
    first_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM contacts").fetchone()[0]
    row = {
        **{f: campaign[f] for f in CAMPAIGN_FIELDS if f in campaign},
        "first_contact_id": first_id,
        "custom_field_names": json.dumps(columns, ensure_ascii=False),
    }
    conn.execute(
        f"INSERT INTO campaigns ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )
    campaign_id, created_at = campaign["id"], campaign["created_at"]
    conn.conn.executemany(
        "INSERT INTO contacts (id, campaign_id, phone_number, custom_fields, status, attempts,"
        " created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?)",
        (
            (first_id + n, campaign_id, number, fields, created_at)
            for n, (number, fields) in enumerate(contacts)
        ),
    )


def get_campaign(conn: Db, campaign_id: str) -> dict[str, Any] | None:
    """The campaign as the spec's data.Campaign (empty fields omitted), or None."""
    row = conn.execute(f"{_SELECT_CAMPAIGN} WHERE id = ?", [campaign_id]).fetchone()
    return None if row is None else present(CAMPAIGN_FIELDS, row)


def list_campaigns(conn: Db) -> list[dict[str, Any]]:
    """Every campaign, newest first."""
    rows = conn.execute(f"{_SELECT_CAMPAIGN} ORDER BY created_at DESC, rowid DESC")
    return [present(CAMPAIGN_FIELDS, row) for row in rows]


def campaigns_in(conn: Db, statuses: Iterable[str]) -> list[dict[str, Any]]:
    """Campaigns in any of these statuses."""
    wanted = list(statuses)
    rows = conn.execute(
        f"{_SELECT_CAMPAIGN} WHERE status IN ({', '.join('?' * len(wanted))})",
        wanted,
    )
    return [present(CAMPAIGN_FIELDS, row) for row in rows]


def update_campaign(
    conn: Db, campaign_id: str, expected_status: str, **changes: Any
) -> bool:
    """Change a campaign only if it is still in `expected_status`; False if it was not."""
    assignments = ", ".join(f"{field} = ?" for field in changes)
    cursor = conn.execute(
        f"UPDATE campaigns SET {assignments} WHERE id = ? AND status = ?",
        [*changes.values(), campaign_id, expected_status],
    )
    return cursor.rowcount == 1


def delete_campaign(conn: Db, campaign_id: str) -> None:
    conn.execute("DELETE FROM contacts WHERE campaign_id = ?", [campaign_id])
    conn.execute("DELETE FROM campaigns WHERE id = ?", [campaign_id])


def delete_everything(conn: Db) -> int:
    """Every campaign, contact and call of the account, what the mock remembers, how far its
    clock was moved and its Idempotency-Keys; how many campaigns there were."""
    count = conn.execute("SELECT count(*) FROM campaigns").fetchone()[0]
    for table in ("calls", "contacts", "campaigns", "mock_resources", "clock", "idempotency_keys"):
        conn.execute(f"DELETE FROM {table}")
    return int(count)


def skip_pending(conn: Db, campaign_id: str) -> None:
    """Every contact not yet settled and not on a call becomes `skipped`."""
    conn.execute(
        "UPDATE contacts SET status = 'skipped', next_attempt_at = NULL"
        " WHERE campaign_id = ? AND status = 'pending'",
        [campaign_id],
    )


def contacts_page(
    conn: Db, campaign: dict[str, Any], status: str | None, page: int, size: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of a campaign's contacts in id order, and how many there are in all.

    Without a status the page is an id range (ids are consecutive); with one, the covering index
    (campaign_id, status, id) finds where the page starts, so a late page costs about what the
    first does."""
    first, names = conn.execute(
        "SELECT first_contact_id, custom_field_names FROM campaigns WHERE id = ?", [campaign["id"]]
    ).fetchone()
    columns = json.loads(names)
    if status is None:
        start = first + page * size
        rows = conn.execute(
            # `+campaign_id`: keep the planner on the primary-key range, off the campaign index
            f"{_SELECT_CONTACT} WHERE id >= ? AND id < ? AND +campaign_id = ? ORDER BY id",
            [start, start + size, campaign["id"]],
        )
        return [contact(row, columns) for row in rows], campaign["contacts_total"]
    where = "campaign_id = ? AND status = ?"
    total = conn.execute(f"SELECT count(*) FROM contacts WHERE {where}", [campaign["id"], status]).fetchone()[0]
    start_row = conn.execute(
        f"SELECT id FROM contacts WHERE {where} ORDER BY id LIMIT 1 OFFSET ?",
        [campaign["id"], status, page * size],
    ).fetchone()
    if start_row is None:
        return [], total
    rows = conn.execute(
        f"{_SELECT_CONTACT} WHERE {where} AND id >= ? ORDER BY id LIMIT ?",
        [campaign["id"], status, start_row[0], size],
    )
    return [contact(row, columns) for row in rows], total


def status_counts(conn: Db, campaign_id: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT status, count(*) FROM contacts WHERE campaign_id = ? GROUP BY status", [campaign_id]
    )
    return dict(rows.fetchall())


def attempts_made(conn: Db, campaign_id: str) -> int:
    return int(conn.execute("SELECT count(*) FROM calls WHERE campaign_id = ?", [campaign_id]).fetchone()[0])


def get_limits(conn: Db) -> dict[str, int] | None:
    row = conn.execute(f"SELECT {', '.join(LIMIT_FIELDS)} FROM call_limits WHERE id = 1").fetchone()
    return None if row is None else present(LIMIT_FIELDS, row)


def put_limits(conn: Db, limits: dict[str, int]) -> None:
    conn.table("call_limits").upsert({"id": 1, **limits}, pk="id")


def custom_field_names(conn: Db, campaign_id: str) -> list[str]:
    row = conn.execute("SELECT custom_field_names FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    return list(json.loads(row[0]))


def find_idempotency_key(conn: Db, key: str, since: str) -> dict[str, Any] | None:
    """The record of an Idempotency-Key first used at `since` or later, or None."""
    row = conn.execute(
        "SELECT fingerprint, answer, created_at FROM idempotency_keys WHERE key = ? AND created_at >= ?", [key, since]
    ).fetchone()
    return None if row is None else dict(zip(("fingerprint", "answer", "created_at"), row))


def claim_idempotency_key(conn: Db, key: str, fingerprint: str, answer: str, at: str, since: str) -> bool:
    """Record a key (the keys first used before `since` are forgotten first); False if it is taken."""
    conn.execute("DELETE FROM idempotency_keys WHERE created_at < ?", [since])
    cursor = conn.execute(
        "INSERT OR IGNORE INTO idempotency_keys (key, fingerprint, answer, created_at) VALUES (?, ?, ?, ?)",
        [key, fingerprint, answer, at],
    )
    return cursor.rowcount == 1
