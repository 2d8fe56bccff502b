"""The simulated carrier's record in PostgreSQL (`sim_calls`): what it placed and how each call
ends, shared by every replica, so that any replica settles any call and a replica's death does
not hang up the calls it placed. Also the record the tests check the hub against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kataven_hub import switches
from kataven_hub.storage.pg import faults
from kataven_hub.storage.pg.connections import account_key, key_array, transaction
from kataven_hub.storage.pg.work import NODE_TTL

if TYPE_CHECKING:
    from kataven_hub.storage.pg.db import PgBackend

GRACE = 30.0
"""Seconds after which an attempt the carrier has no record of is lost, whatever its replica's
heartbeat says (a replica dials within a round of recording)."""
Dialled = tuple[str, str, int, int, str, str, str, float]
"""(session id, campaign id, contact id, attempt, dialled at, ends at, outcome, duration)"""


class CarrierRecord:
    def __init__(self, backend: PgBackend) -> None:
        self.backend = backend

    def place(self, calls: Mapping[str, list[Dialled]]) -> int:
        """Record the calls of each account as placed, under the accounts' locks (waited for in the
        order of their keys, so that two such writers cannot wait for each other); only those whose attempt is still
        open (one settled meanwhile as lost is never placed). How many were placed."""
        accounts = sorted(calls, key=account_key)
        rows = [(account, *call) for account in accounts for call in calls[account]]
        columns: list[list[Any]] = [list(column) for column in zip(*rows)]
        lock = "SELECT 1" if switches.NO_ACCOUNT_LOCK else f"SELECT count(pg_advisory_xact_lock(k)) FROM unnest({key_array(accounts)}) AS k"
        with self.backend.connection() as conn, faults.translated(), transaction(conn, lock):
            return conn.execute(
                "INSERT INTO sim_calls (session_id, account, campaign_id, contact_id, attempt, node_id, dialled_at,"
                " ends_at, outcome, duration_seconds) SELECT t.s, t.acc, t.c, t.n, t.a, %s, t.d, t.e, t.o, t.sec"
                " FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::int[], %s::text[], %s::text[],"
                " %s::text[], %s::float8[]) AS t(acc, s, c, n, a, d, e, o, sec)"
                " JOIN calls ON calls.account = t.acc AND calls.session_id = t.s AND calls.ended_at IS NULL",
                [self.backend.node, *columns],
            ).rowcount  # fmt: skip

    def outcomes(self, session_ids: list[str]) -> dict[str, tuple[str, str, float] | None]:
        """(outcome, ends at, duration) of each placed call; None for one not placed yet; absent:
        lost (never placed, and its replica is dead or it was recorded over GRACE seconds ago)."""
        with self.backend.connection() as conn:
            rows = conn.execute(
                "SELECT c.session_id, s.outcome, s.ends_at, s.duration_seconds, s.session_id IS NULL AND"
                " (c.placed_at < clock_timestamp() - make_interval(secs => %s) OR NOT EXISTS (SELECT 1 FROM nodes"
                " WHERE nodes.id = c.node_id AND nodes.heartbeat_at > clock_timestamp() - make_interval(secs => %s)))"
                " FROM calls c LEFT JOIN sim_calls s ON s.session_id = c.session_id WHERE c.session_id = ANY(%s)",
                [GRACE, NODE_TTL, session_ids],
            ).fetchall()  # fmt: skip
        found: dict[str, tuple[str, str, float] | None] = {}
        for session, outcome, ends_at, duration, lost in rows:
            if not lost:
                found[session] = None if outcome is None else (outcome, ends_at, float(duration))
        return found

    def ends_at(self, session_id: str) -> str | None:
        with self.backend.connection() as conn:
            row = conn.execute("SELECT ends_at FROM sim_calls WHERE session_id = %s", [session_id]).fetchone()
        return None if row is None else str(row[0])
