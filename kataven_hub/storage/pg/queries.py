"""PostgreSQL's `Connection`: the queries of `storage.base.Connection`, each bound to one account.

The same rules as the SQLite driver's (`storage.sqlite`), written for shared tables: every
statement names its account, and what SQLite does with `rowid`, `INSERT OR IGNORE` or summed
booleans is written the PostgreSQL way. Contacts are written with `COPY`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import psycopg

from kataven_hub.storage.base import CallInFlight
from kataven_hub.storage.rows import (
    CAMPAIGN_FIELDS,
    CONTACT_FIELDS,
    KEY_FIELDS,
    LIMIT_FIELDS,
    LIVE_FIELDS,
    contact,
    due,
    present,
)

_SELECT_CAMPAIGN = f"SELECT {', '.join(CAMPAIGN_FIELDS)} FROM campaigns WHERE account = %s"
_SELECT_CONTACT = f"SELECT {', '.join(CONTACT_FIELDS)} FROM contacts WHERE account = %s"


class PgConnection:
    """One use of a pooled PostgreSQL connection on behalf of `account` (None: the system's API
    keys); inside `write()`, one transaction holding the account's lock. `node` names the replica
    (the calls it places carry it)."""

    def __init__(self, conn: psycopg.Connection[Any], account: str | None, node: str = "") -> None:
        self.conn, self.account, self.node = conn, account, node

    def _all(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, [self.account, *params]).fetchall()

    def _one(self, sql: str, *params: Any) -> tuple[Any, ...] | None:
        return self.conn.execute(sql, [self.account, *params]).fetchone()

    def _run(self, sql: str, *params: Any) -> int:
        return self.conn.execute(sql, [self.account, *params]).rowcount

    # campaigns, their contacts, the account's limits

    def insert_campaign(self, campaign: dict[str, Any], contacts: Iterable[tuple[str, str]], *, columns: list[str]) -> None:
        """The campaign, and its contacts `pending` with consecutive ids, streamed with COPY."""
        first_id = self._one("SELECT coalesce(max(id), 0) + 1 FROM contacts WHERE account = %s")[0]  # type: ignore[index]
        row = {
            **{f: campaign[f] for f in CAMPAIGN_FIELDS if f in campaign},
            "first_contact_id": first_id,
            "custom_field_names": json.dumps(columns, ensure_ascii=False),
        }
        self._run(
            f"INSERT INTO campaigns (account, {', '.join(row)}) VALUES (%s, {', '.join(['%s'] * len(row))})",
            *row.values(),
        )
        campaign_id, created_at = campaign["id"], campaign["created_at"]
        with self.conn.cursor().copy(
            "COPY contacts (account, id, campaign_id, phone_number, custom_fields, status, attempts, created_at)"
            " FROM STDIN"
        ) as copy:
            head, tail = f"{_copy_text(self.account or '')}\t", f"\t{_copy_text(campaign_id)}\t"
            end = f"\tpending\t0\t{_copy_text(created_at)}\n"
            lines: list[str] = []
            for n, (number, fields) in enumerate(contacts):
                lines.append(f"{head}{first_id + n}{tail}{_copy_text(number)}\t{_copy_text(fields)}{end}")
                if len(lines) == COPY_BATCH:
                    copy.write("".join(lines).encode())
                    lines.clear()
            if lines:
                copy.write("".join(lines).encode())

    def get_campaign(self, campaign_id: str) -> dict[str, Any] | None:
        row = self._one(f"{_SELECT_CAMPAIGN} AND id = %s", campaign_id)
        return None if row is None else present(CAMPAIGN_FIELDS, row)

    def list_campaigns(self) -> list[dict[str, Any]]:
        rows = self._all(f"{_SELECT_CAMPAIGN} ORDER BY created_at DESC, seq DESC")
        return [present(CAMPAIGN_FIELDS, row) for row in rows]

    def campaigns_in(self, statuses: Iterable[str]) -> list[dict[str, Any]]:
        rows = self._all(f"{_SELECT_CAMPAIGN} AND status = ANY(%s)", list(statuses))
        return [present(CAMPAIGN_FIELDS, row) for row in rows]

    def update_campaign(self, campaign_id: str, expected_status: str, **changes: Any) -> bool:
        assignments = ", ".join(f"{field} = %s" for field in changes)
        return self.conn.execute(
            f"UPDATE campaigns SET {assignments} WHERE account = %s AND id = %s AND status = %s",
            [*changes.values(), self.account, campaign_id, expected_status],
        ).rowcount == 1

    def delete_campaign(self, campaign_id: str) -> None:
        self._run("DELETE FROM contacts WHERE account = %s AND campaign_id = %s", campaign_id)
        self._run("DELETE FROM campaigns WHERE account = %s AND id = %s", campaign_id)

    def delete_everything(self) -> int:
        count = self._one("SELECT count(*) FROM campaigns WHERE account = %s")[0]  # type: ignore[index]
        for table in ("calls", "contacts", "campaigns", "mock_resources", "idempotency_keys"):
            self._run(f"DELETE FROM {table} WHERE account = %s")
        self._run("UPDATE accounts SET clock_ahead = 0 WHERE account = %s")
        return int(count)

    def skip_pending(self, campaign_id: str) -> None:
        self._run(
            "UPDATE contacts SET status = 'skipped', next_attempt_at = NULL"
            " WHERE account = %s AND campaign_id = %s AND status = 'pending'",
            campaign_id,
        )

    def contacts_page(
        self, campaign: dict[str, Any], status: str | None, page: int, size: int
    ) -> tuple[list[dict[str, Any]], int]:
        first, names = self._one(  # type: ignore[misc]
            "SELECT first_contact_id, custom_field_names FROM campaigns WHERE account = %s AND id = %s", campaign["id"]
        )
        columns = json.loads(names)
        if status is None:
            start = first + page * size
            rows = self._all(
                f"{_SELECT_CONTACT} AND id >= %s AND id < %s AND campaign_id = %s ORDER BY id",
                start, start + size, campaign["id"],
            )  # fmt: skip
            return [contact(row, columns) for row in rows], campaign["contacts_total"]
        where = "account = %s AND campaign_id = %s AND status = %s"
        total = self._one(f"SELECT count(*) FROM contacts WHERE {where}", campaign["id"], status)[0]  # type: ignore[index]
        start_row = self._one(
            f"SELECT id FROM contacts WHERE {where} ORDER BY id LIMIT 1 OFFSET %s", campaign["id"], status, page * size
        )
        if start_row is None:
            return [], total
        rows = self._all(
            f"{_SELECT_CONTACT} AND campaign_id = %s AND status = %s AND id >= %s ORDER BY id LIMIT %s",
            campaign["id"], status, start_row[0], size,
        )  # fmt: skip
        return [contact(row, columns) for row in rows], total

    def status_counts(self, campaign_id: str) -> dict[str, int]:
        rows = self._all(
            "SELECT status, count(*) FROM contacts WHERE account = %s AND campaign_id = %s GROUP BY status", campaign_id
        )
        return {status: int(n) for status, n in rows}

    def attempts_made(self, campaign_id: str) -> int:
        return int(self._one("SELECT count(*) FROM calls WHERE account = %s AND campaign_id = %s", campaign_id)[0])  # type: ignore[index]

    def get_limits(self) -> dict[str, int] | None:
        row = self._one(f"SELECT {', '.join(LIMIT_FIELDS)} FROM account_limits WHERE account = %s")
        return None if row is None else present(LIMIT_FIELDS, row)

    def put_limits(self, limits: dict[str, int]) -> None:
        names = [f for f in LIMIT_FIELDS if f in limits]
        self._run(
            f"INSERT INTO account_limits (account, {', '.join(names)}) VALUES (%s, {', '.join(['%s'] * len(names))})"
            f" ON CONFLICT (account) DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in names)}",
            *(limits[n] for n in names),
        )

    def find_idempotency_key(self, key: str, since: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT fingerprint, answer, created_at FROM idempotency_keys"
            " WHERE account = %s AND key = %s AND created_at >= %s", key, since,
        )  # fmt: skip
        return None if row is None else dict(zip(("fingerprint", "answer", "created_at"), row))

    def claim_idempotency_key(self, key: str, fingerprint: str, answer: str, at: str, since: str) -> bool:
        self._run("DELETE FROM idempotency_keys WHERE account = %s AND created_at < %s", since)
        return self._run(
            "INSERT INTO idempotency_keys (account, key, fingerprint, answer, created_at) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING", key, fingerprint, answer, at,
        ) == 1  # fmt: skip

    # what the dispatcher reads and writes

    def has_work(self) -> bool:
        row = self._one(
            "SELECT EXISTS (SELECT 1 FROM campaigns WHERE account = %s AND status IN ('running', 'scheduled'))"
            " OR EXISTS (SELECT 1 FROM calls WHERE account = %s AND ended_at IS NULL)", self.account,
        )  # fmt: skip
        return bool(row and row[0])

    def calls_in_flight(self) -> list[CallInFlight]:
        return [tuple(row) for row in self._all(
            "SELECT calls.id, calls.campaign_id, calls.contact_id, calls.session_id, contacts.attempts"
            " FROM calls JOIN contacts ON contacts.account = calls.account AND contacts.id = calls.contact_id"
            " WHERE calls.account = %s AND calls.ended_at IS NULL ORDER BY calls.id"
        )]

    def start_calls(self, started: list[tuple[str, int, str]], now: str) -> None:
        if not started:
            return
        campaigns, contacts, sessions = (list(column) for column in zip(*started))
        self._run(
            "INSERT INTO calls (account, campaign_id, contact_id, session_id, node_id, started_at)"
            " SELECT %s, c, n, s, %s, %s FROM unnest(%s::text[], %s::bigint[], %s::text[]) AS t(c, n, s)",
            self.node, now, campaigns, contacts, sessions,
        )  # fmt: skip
        self.conn.execute(
            "UPDATE contacts SET status = 'dialing', attempts = attempts + 1, last_attempt_at = %s,"
            " session_id = t.s, next_attempt_at = NULL FROM unnest(%s::bigint[], %s::text[]) AS t(n, s)"
            " WHERE contacts.account = %s AND contacts.id = t.n",
            [now, contacts, sessions, self.account],
        )  # fmt: skip

    def finish_calls(self, ended: list[tuple[str, str, float, str]]) -> None:
        if not ended:
            return
        at, outcome, seconds, session = (list(column) for column in zip(*ended))
        self.conn.execute(
            "UPDATE calls SET ended_at = t.a, outcome = t.o, duration_seconds = t.d"
            " FROM unnest(%s::text[], %s::text[], %s::float8[], %s::text[]) AS t(a, o, d, s)"
            " WHERE calls.account = %s AND calls.session_id = t.s",
            [at, outcome, seconds, session, self.account],
        )  # fmt: skip

    def settle_contacts(self, settled: list[tuple[str, str, str | None, int]]) -> None:
        if not settled:
            return
        statuses, outcomes, due_at, contact_ids = (list(column) for column in zip(*settled))
        self.conn.execute(
            "UPDATE contacts SET status = t.st, last_outcome = t.o, next_attempt_at = t.d"
            " FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[]) AS t(st, o, d, n)"
            " WHERE contacts.account = %s AND contacts.id = t.n",
            [statuses, outcomes, due_at, contact_ids, self.account],
        )  # fmt: skip

    def live_campaigns(self) -> list[dict[str, Any]]:
        rows = self._all(
            f"SELECT {', '.join(LIVE_FIELDS)} FROM campaigns WHERE account = %s AND status IN ('running', 'scheduled', 'paused')"
        )
        return [{k: v for k, v in zip(LIVE_FIELDS, row) if v is not None} for row in rows]

    def due_contacts(self, campaign: dict[str, Any], now: str, limit: int) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT id, phone_number, custom_fields, attempts FROM contacts"
            " WHERE account = %s AND campaign_id = %s AND status = 'pending'"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= %s) ORDER BY id LIMIT %s",
            campaign["id"], now, limit,
        )  # fmt: skip
        return due(rows, campaign) if rows else []

    def usage_since(self, minute: str, day: str) -> tuple[int, int, float]:
        minute_calls, day_calls, seconds = self.conn.execute(
            "SELECT count(*) FILTER (WHERE started_at > %s), count(*), coalesce(sum(duration_seconds), 0)"
            " FROM calls WHERE account = %s AND started_at > %s",
            [minute, self.account, day],
        ).fetchone() or (0, 0, 0.0)
        return int(minute_calls), int(day_calls), float(seconds)

    def has_unsettled(self, campaign_id: str) -> bool:
        return self._one(
            "SELECT 1 FROM contacts WHERE account = %s AND campaign_id = %s AND status IN ('pending', 'dialing') LIMIT 1",
            campaign_id,
        ) is not None  # fmt: skip

    def clock_ahead(self) -> float:
        row = self._one("SELECT clock_ahead FROM accounts WHERE account = %s")
        return float(row[0]) if row else 0.0

    def set_clock_ahead(self, seconds: float) -> None:
        self.conn.execute("UPDATE accounts SET clock_ahead = %s WHERE account = %s", [seconds, self.account])

    def next_due(self, after: str) -> str | None:
        row = self.conn.execute(
            "SELECT least((SELECT min(contacts.next_attempt_at) FROM contacts JOIN campaigns"
            " ON campaigns.account = contacts.account AND campaigns.id = contacts.campaign_id"
            " WHERE contacts.account = %(a)s AND campaigns.status = 'running' AND contacts.status = 'pending'"
            " AND contacts.next_attempt_at > %(after)s),"
            " (SELECT min(scheduled_at) FROM campaigns WHERE account = %(a)s AND status = 'scheduled'))",
            {"a": self.account, "after": after},
        ).fetchone()
        return row[0] if row else None

    def waiting(self, now: str) -> bool:
        return self._one(
            "SELECT 1 FROM contacts JOIN campaigns ON campaigns.account = contacts.account"
            " AND campaigns.id = contacts.campaign_id WHERE contacts.account = %s AND campaigns.status = 'running'"
            " AND contacts.status = 'pending' AND (contacts.next_attempt_at IS NULL OR contacts.next_attempt_at <= %s)"
            " LIMIT 1", now,
        ) is not None  # fmt: skip

    def first_started_since(self, since: str) -> str | None:
        row = self._one("SELECT min(started_at) FROM calls WHERE account = %s AND started_at > %s", since)
        return row[0] if row else None

    # what the mock remembers

    def next_number(self) -> int:
        return int(self._one("SELECT coalesce(max(seq), 0) + 1 FROM mock_resources WHERE account = %s")[0])  # type: ignore[index]

    def put_resource(self, collection: str, resource_id: str, body: dict[str, Any]) -> str:
        text = json.dumps(body)
        self.conn.execute(
            "INSERT INTO mock_resources (account, collection, id, seq, body) VALUES (%(a)s, %(c)s, %(i)s,"
            " (SELECT coalesce(max(seq), 0) + 1 FROM mock_resources WHERE account = %(a)s), %(b)s)"
            " ON CONFLICT (account, collection, id) DO UPDATE SET body = excluded.body",
            {"a": self.account, "c": collection, "i": resource_id, "b": text},
        )
        return text

    def get_resource(self, collection: str, resource_id: str) -> str | None:
        row = self._one("SELECT body FROM mock_resources WHERE account = %s AND collection = %s AND id = %s", collection, resource_id)
        return None if row is None else str(row[0])

    def list_resources(self, collection: str, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        rows = self._all(
            "SELECT body FROM mock_resources WHERE account = %s AND collection = %s ORDER BY seq LIMIT %s OFFSET %s",
            collection, limit, offset,
        )  # fmt: skip
        total = self._one("SELECT count(*) FROM mock_resources WHERE account = %s AND collection = %s", collection)[0]  # type: ignore[index]
        return [json.loads(body) for (body,) in rows], int(total)

    def delete_resource(self, collection: str, resource_id: str) -> bool:
        return self._run("DELETE FROM mock_resources WHERE account = %s AND collection = %s AND id = %s", collection, resource_id) == 1

    # API keys

    def insert_key(self, key: dict[str, Any]) -> None:
        names = list(key)
        self.conn.execute(
            f"INSERT INTO api_keys ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})", list(key.values())
        )

    def find_key(self, key_hash: str) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys WHERE hash = %s", [key_hash]).fetchone()
        return None if row is None else dict(zip(KEY_FIELDS, row))

    def list_keys(self, account: str | None) -> list[dict[str, Any]]:
        where, params = ("WHERE account = %s", [account]) if account else ("", [])
        rows = self.conn.execute(f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys {where} ORDER BY created_at, id", params)
        return [dict(zip(KEY_FIELDS, row)) for row in rows]

    def revoke_key(self, key_id: str, now: str) -> bool:
        return self.conn.execute(
            "UPDATE api_keys SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL", [now, key_id]
        ).rowcount == 1


COPY_BATCH = 10_000
"""Contact rows written to COPY at once, as text in its format (not row by row: 3x faster)."""
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A value in COPY's text format: backslash, tab, newline and carriage return escaped."""
    return value.translate(_COPY_ESCAPES)
