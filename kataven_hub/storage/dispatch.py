"""What the dispatcher reads and writes: calls in flight, due contacts, usage in a window."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from kataven_hub.storage.campaigns import custom_field_names

_CALL_FIELDS = ("id", "campaign_id", "contact_id", "session_id", "started_at")


def has_work(db: sqlite_utils.Database) -> bool:
    """Whether a round has anything to do: a campaign to run or start, or a call to settle."""
    row = db.execute(
        "SELECT EXISTS (SELECT 1 FROM campaigns WHERE status IN ('running', 'scheduled'))"
        " OR EXISTS (SELECT 1 FROM calls WHERE ended_at IS NULL)"
    ).fetchone()
    return bool(row[0])


def calls_in_flight(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    rows = db.execute(f"SELECT {', '.join(_CALL_FIELDS)} FROM calls WHERE ended_at IS NULL ORDER BY id")
    return [dict(zip(_CALL_FIELDS, row)) for row in rows]


def start_call(db: sqlite_utils.Database, campaign_id: str, contact_id: int, session_id: str, now: str) -> None:
    """Record an attempt before it is dialled: the contact is `dialing` and its attempt counted."""
    db.execute(
        "INSERT INTO calls (campaign_id, contact_id, session_id, started_at) VALUES (?, ?, ?, ?)",
        [campaign_id, contact_id, session_id, now],
    )
    db.execute(
        "UPDATE contacts SET status = 'dialing', attempts = attempts + 1, last_attempt_at = ?,"
        " session_id = ?, next_attempt_at = NULL WHERE id = ?",
        [now, session_id, contact_id],
    )


def finish_call(
    db: sqlite_utils.Database, session_id: str, ended_at: str, outcome: str, duration_seconds: float
) -> None:
    db.execute(
        "UPDATE calls SET ended_at = ?, outcome = ?, duration_seconds = ? WHERE session_id = ?",
        [ended_at, outcome, duration_seconds, session_id],
    )


def settle_contact(
    db: sqlite_utils.Database, contact_id: int, status: str, outcome: str, next_attempt_at: str | None
) -> None:
    db.execute(
        "UPDATE contacts SET status = ?, last_outcome = ?, next_attempt_at = ? WHERE id = ?",
        [status, outcome, next_attempt_at, contact_id],
    )


def contact_attempts(db: sqlite_utils.Database, contact_id: int) -> int:
    return int(db.execute("SELECT attempts FROM contacts WHERE id = ?", [contact_id]).fetchone()[0])


def due_contacts(db: sqlite_utils.Database, campaign_id: str, now: str, limit: int) -> list[dict[str, Any]]:
    """Pending contacts whose next attempt is due, in id order, with the attempts made so far."""
    rows = db.execute(
        "SELECT id, phone_number, custom_fields, attempts FROM contacts"
        " WHERE campaign_id = ? AND status = 'pending'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
        [campaign_id, now, limit],
    )
    due = rows.fetchall()
    columns = custom_field_names(db, campaign_id) if due else []
    return [
        {"id": i, "phone_number": number, "custom_fields": dict(zip(columns, json.loads(fields))), "attempts": attempts}
        for i, number, fields, attempts in due
    ]


def in_flight(db: sqlite_utils.Database, campaign_id: str | None = None) -> int:
    """Calls not yet ended: of one campaign, or of the whole account."""
    if campaign_id is None:
        return int(db.execute("SELECT count(*) FROM calls WHERE ended_at IS NULL").fetchone()[0])
    return int(
        db.execute(
            "SELECT count(*) FROM contacts WHERE campaign_id = ? AND status = 'dialing'", [campaign_id]
        ).fetchone()[0]
    )


def usage_since(db: sqlite_utils.Database, since: str) -> tuple[int, float]:
    """Calls started since a moment, and the seconds of those that have ended."""
    count, seconds = db.execute(
        "SELECT count(*), coalesce(sum(duration_seconds), 0) FROM calls WHERE started_at > ?", [since]
    ).fetchone()
    return int(count), float(seconds)


def has_unsettled(db: sqlite_utils.Database, campaign_id: str) -> bool:
    """Whether any contact is pending (now or awaiting a retry) or on a call."""
    row = db.execute(
        "SELECT 1 FROM contacts WHERE campaign_id = ? AND status IN ('pending', 'dialing') LIMIT 1",
        [campaign_id],
    ).fetchone()
    return row is not None
