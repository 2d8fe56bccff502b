"""What the dispatcher reads and writes: calls in flight, due contacts, usage in a window."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database as Db

from kataven_hub.storage.rows import LIVE_FIELDS, due


def has_work(conn: Db) -> bool:
    """Whether a round has anything to do: a campaign to run or start, or a call to settle. The
    one place this rule is written: the round asks it first, the index of accounts with work too."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM campaigns WHERE status IN ('running', 'scheduled'))"
        " OR EXISTS (SELECT 1 FROM calls WHERE ended_at IS NULL)"
    ).fetchone()
    return bool(row[0])


def calls_in_flight(conn: Db) -> list[tuple[int, str, int, str, int]]:
    """Every call not yet ended: (call id, campaign id, contact id, session id, attempts its
    contact has had, this one included)."""
    return conn.conn.execute(
        "SELECT calls.id, calls.campaign_id, calls.contact_id, calls.session_id, contacts.attempts"
        " FROM calls JOIN contacts ON contacts.id = calls.contact_id WHERE calls.ended_at IS NULL ORDER BY calls.id"
    ).fetchall()


def start_calls(conn: Db, started: list[tuple[str, int, str]], now: str) -> None:
    """Record attempts (campaign, contact, session) before they are dialled: each contact is
    `dialing` and its attempt counted."""
    conn.conn.executemany(
        "INSERT INTO calls (campaign_id, contact_id, session_id, started_at) VALUES (?, ?, ?, ?)",
        [(campaign_id, contact_id, session_id, now) for campaign_id, contact_id, session_id in started],
    )
    conn.conn.executemany(
        "UPDATE contacts SET status = 'dialing', attempts = attempts + 1, last_attempt_at = ?,"
        " session_id = ?, next_attempt_at = NULL WHERE id = ?",
        [(now, session_id, contact_id) for _campaign_id, contact_id, session_id in started],
    )


def finish_calls(conn: Db, ended: list[tuple[str, str, float, str]]) -> None:
    """Record the end of calls: (ended at, outcome, duration in seconds, session id)."""
    conn.conn.executemany(
        "UPDATE calls SET ended_at = ?, outcome = ?, duration_seconds = ? WHERE session_id = ?", ended
    )


def settle_contacts(conn: Db, settled: list[tuple[str, str, str | None, int]]) -> None:
    """Contacts after a call: (status, last outcome, next attempt at or None, contact id)."""
    conn.conn.executemany(
        "UPDATE contacts SET status = ?, last_outcome = ?, next_attempt_at = ? WHERE id = ?", settled
    )


def live_campaigns(conn: Db) -> list[dict[str, Any]]:
    """Campaigns running, scheduled or paused, each with its custom-field names (JSON text) beside
    the spec's fields."""
    rows = conn.conn.execute(
        f"SELECT {', '.join(LIVE_FIELDS)} FROM campaigns WHERE status IN ('running', 'scheduled', 'paused')"
    ).fetchall()
    return [{k: v for k, v in zip(LIVE_FIELDS, row) if v is not None} for row in rows]


def due_contacts(
    conn: Db, campaign: dict[str, Any], now: str, limit: int
) -> list[dict[str, Any]]:
    """Pending contacts of a (live) campaign whose next attempt is due, in id order, with the
    attempts made so far."""
    rows = conn.conn.execute(
        "SELECT id, phone_number, custom_fields, attempts FROM contacts"
        " WHERE campaign_id = ? AND status = 'pending'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
        [campaign["id"], now, limit],
    ).fetchall()
    return due(rows, campaign) if rows else []


def usage_since(conn: Db, minute: str, day: str) -> tuple[int, int, float]:
    """Calls started since `minute`, calls started since `day` (earlier), and the seconds of
    those that have ended."""
    minute_calls, day_calls, seconds = conn.execute(
        "SELECT coalesce(sum(started_at > ?), 0), count(*), coalesce(sum(duration_seconds), 0) FROM calls"
        " WHERE started_at > ?",
        [minute, day],
    ).fetchone()
    return int(minute_calls), int(day_calls), float(seconds)


def has_unsettled(conn: Db, campaign_id: str) -> bool:
    """Whether any contact is pending (now or awaiting a retry) or on a call."""
    row = conn.execute(
        "SELECT 1 FROM contacts WHERE campaign_id = ? AND status IN ('pending', 'dialing') LIMIT 1",
        [campaign_id],
    ).fetchone()
    return row is not None


def clock_ahead(conn: Db) -> float:
    """Seconds the account's clock runs ahead of the machine's (0 unless moved: `kataven_hub.control`)."""
    row = conn.execute("SELECT ahead_seconds FROM clock").fetchone()
    return float(row[0]) if row else 0.0


def set_clock_ahead(conn: Db, seconds: float) -> None:
    conn.execute("INSERT OR REPLACE INTO clock (id, ahead_seconds) VALUES (1, ?)", [seconds])


def next_due(conn: Db, after: str) -> str | None:
    """The first moment after `after` when a contact of a running campaign falls due for a retry,
    or a scheduled campaign starts."""
    row = conn.execute(
        "SELECT min(at) FROM (SELECT min(contacts.next_attempt_at) AS at FROM contacts"
        " JOIN campaigns ON campaigns.id = contacts.campaign_id"
        " WHERE campaigns.status = 'running' AND contacts.status = 'pending' AND contacts.next_attempt_at > ?"
        " UNION ALL SELECT min(scheduled_at) FROM campaigns WHERE status = 'scheduled')",
        [after],
    ).fetchone()
    return row[0] if row else None


def waiting(conn: Db, now: str) -> bool:
    """Whether a contact of a running campaign is due and not on a call: the limits hold it back."""
    row = conn.execute(
        "SELECT 1 FROM contacts JOIN campaigns ON campaigns.id = contacts.campaign_id"
        " WHERE campaigns.status = 'running' AND contacts.status = 'pending'"
        " AND (contacts.next_attempt_at IS NULL OR contacts.next_attempt_at <= ?) LIMIT 1",
        [now],
    ).fetchone()
    return row is not None


def first_started_since(conn: Db, since: str) -> str | None:
    """When the earliest call started after `since` began (the first to leave a usage window)."""
    row = conn.execute("SELECT min(started_at) FROM calls WHERE started_at > ?", [since]).fetchone()
    return row[0] if row else None
