"""What the dispatcher reads and writes, in the shared tables; a round's writes are set-based
(`unnest`), one statement each however many calls."""

from __future__ import annotations

from typing import Any

from kataven_hub.storage.base import CallInFlight
from kataven_hub.storage.pg.bound import Bound
from kataven_hub.storage.rows import LIVE_FIELDS, due


class DispatchQueries(Bound):
    """What a dispatcher round of the bound account reads and writes."""

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
