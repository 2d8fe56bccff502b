"""Several accounts' dispatcher rounds in one transaction: a replica's round over the accounts it
holds costs a dozen round trips to the database, not a dozen for each account.

`write_many(backend, names)` tries every account's lock in the statement that begins the
transaction, and yields a `RoundConnection` for each account it took (a busy one is skipped, as a
round of one account skips it). What a round reads first is read once for all of them, with
`account = ANY(...)`: the live campaigns, the calls in flight, the limits; then, when the first
round asks, the usage windows and the due contacts of every running campaign with room. What a
round writes about its calls and contacts is held, and written for all of them in one statement
just before the commit. Two things can therefore only come later than in a round of one account,
never earlier: a contact settled in a round is not due again before the next round (a retry with
no delay), and a campaign whose last contact settled completes in the next round."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from kataven_hub import switches
from kataven_hub.storage.base import CallInFlight
from kataven_hub.storage.pg import faults
from kataven_hub.storage.pg.connections import key_array, transaction
from kataven_hub.storage.pg.queries import PgConnection
from kataven_hub.storage.rows import LIMIT_FIELDS, LIVE_FIELDS, due, present

if TYPE_CHECKING:
    import psycopg

    from kataven_hub.storage.pg.db import PgBackend


@contextmanager
def write_many(backend: PgBackend, names: list[str]) -> Iterator[dict[str, RoundConnection]]:
    """One transaction over the accounts among `names` whose lock it took; their writes held
    back are written before the commit. An error anywhere rolls back every account."""
    if switches.NO_ACCOUNT_LOCK:
        first = f"SELECT i FROM generate_series(1, {len(names)}) AS i"
    else:
        first = f"SELECT i FROM unnest({key_array(names)}) WITH ORDINALITY AS t(k, i) WHERE pg_try_advisory_xact_lock(k)"
    with backend.connection() as conn, faults.translated(), transaction(conn, first) as rows:
        together = Together(conn, [names[i - 1] for (i,) in rows], backend.node)
        yield together.connections
        together.write()


class Together:
    """What one transaction over several accounts read for their rounds, and the writes it holds."""

    def __init__(self, conn: psycopg.Connection[Any], accounts: list[str], node: str) -> None:
        self.conn, self.node = conn, node
        self.connections = {account: RoundConnection(conn, account, node, self) for account in accounts}
        self.live: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.flying: dict[str, list[CallInFlight]] = defaultdict(list)
        self.limits: dict[str, dict[str, Any]] = {}
        self.started_at: dict[str, tuple[str, str]] = {}  # session: (its campaign, when its call started)
        self.in_flight: Counter[str] = Counter()  # calls in flight when read, by campaign
        self.ended: Counter[str] = Counter()  # of those, settled in this transaction, by campaign
        self.seconds: dict[str, list[tuple[str, float]]] = defaultdict(list)  # account: (started at, seconds) settled
        self.finished: list[tuple[Any, ...]] = []
        self.settled: list[tuple[Any, ...]] = []
        self.started: list[tuple[Any, ...]] = []
        self._usage: dict[str, tuple[int, int, float]] | None = None
        self._due: dict[str, list[tuple[Any, ...]]] | None = None
        self._rooms: dict[str, int] = {}
        if accounts:
            self._read(accounts)

    def _read(self, accounts: list[str]) -> None:
        for account, *row in _rows(self.conn,
            f"SELECT account, {', '.join(LIVE_FIELDS)} FROM campaigns WHERE account = ANY(%s)"
            " AND status IN ('running', 'scheduled', 'paused')", accounts,
        ):  # fmt: skip
            self.live[account].append({k: v for k, v in zip(LIVE_FIELDS, row) if v is not None})
        for account, started_at, *call in _rows(self.conn,
            "SELECT calls.account, calls.started_at, calls.id, calls.campaign_id, calls.contact_id, calls.session_id,"
            " contacts.attempts FROM calls JOIN contacts ON contacts.account = calls.account AND contacts.id = calls.contact_id"
            " WHERE calls.account = ANY(%s) AND calls.ended_at IS NULL ORDER BY calls.id", accounts,
        ):  # fmt: skip
            self.flying[account].append(tuple(call))
            self.started_at[call[3]] = (call[1], started_at)
            self.in_flight[call[1]] += 1
        for account, *row in _rows(self.conn,
            f"SELECT account, {', '.join(LIMIT_FIELDS)} FROM account_limits WHERE account = ANY(%s)", accounts,
        ):  # fmt: skip
            self.limits[account] = present(LIMIT_FIELDS, row)

    def usage(self, account: str, minute: str, day: str) -> tuple[int, int, float]:
        """The account's calls started since `minute` and since `day`, and the seconds they lasted,
        those settled in this transaction included (read for every account on the first ask)."""
        if self._usage is None:
            self._usage = {account: (int(m), int(d), float(s)) for account, m, d, s in _rows(self.conn,
                "SELECT account, count(*) FILTER (WHERE started_at > %s), count(*), coalesce(sum(duration_seconds), 0)"
                " FROM calls WHERE account = ANY(%s) AND started_at > %s GROUP BY account", minute, list(self.connections), day,
            )}  # fmt: skip
        minute_calls, day_calls, seconds = self._usage.get(account, (0, 0, 0.0))
        settled = sum(lasted for started_at, lasted in self.seconds[account] if started_at > day)
        return minute_calls, day_calls, seconds + settled

    def due(self, campaign: dict[str, Any], now: str, limit: int) -> list[tuple[Any, ...]] | None:
        """The campaign's first `limit` due contacts, read on the first ask for every running
        campaign with room once the calls that ended were counted; None if it was not among them."""
        if self._due is None:
            rooms = {
                c["id"]: (account, room) for account, live in self.live.items() for c in live
                if c["status"] == "running" and (room := self._room(c)) > 0
            }  # fmt: skip
            self._due = defaultdict(list)
            for campaign_id, *row in _rows(self.conn,
                "SELECT t.c, x.id, x.phone_number, x.custom_fields, x.attempts FROM unnest(%s::text[], %s::text[], %s::int[])"
                " AS t(a, c, k) CROSS JOIN LATERAL (SELECT id, phone_number, custom_fields, attempts FROM contacts"
                " WHERE account = t.a AND campaign_id = t.c AND status = 'pending' AND (next_attempt_at IS NULL"
                " OR next_attempt_at <= %s) ORDER BY id LIMIT t.k) AS x",
                [a for a, _ in rooms.values()], list(rooms), [room for _, room in rooms.values()], now,
            ):  # fmt: skip
                self._due[campaign_id].append(tuple(row))
            self._rooms = {campaign_id: room for campaign_id, (_, room) in rooms.items()}
        if limit > self._rooms.get(campaign["id"], 0):
            return None
        return self._due[campaign["id"]][:limit]

    def _room(self, campaign: dict[str, Any]) -> int:
        return int(campaign["max_concurrent_calls"]) - self.in_flight[campaign["id"]] + self.ended[campaign["id"]]

    def finish(self, account: str, ended: list[tuple[str, str, float, str]]) -> None:
        self.finished += [(account, *call) for call in ended]
        for *_, seconds, session in ended:
            campaign_id, started_at = self.started_at[session]
            self.ended[campaign_id] += 1
            self.seconds[account].append((started_at, seconds))

    def write(self) -> None:
        """The held writes of every account, in one statement (`_write_held`)."""
        if self.finished or self.settled or self.started:
            _write_held(self.conn, self.node, self.finished, self.settled, self.started)


def _write_held(conn: psycopg.Connection[Any], node: str, finished: list[tuple[Any, ...]], settled: list[tuple[Any, ...]],
                started: list[tuple[Any, ...]]) -> None:  # fmt: skip
    """In one statement, each row naming its account: the calls that ended and their contacts
    settled, then the calls started (on replica `node`) and their contacts dialing."""
    ended, contacts, placed = _columns(finished, 5), _columns(settled, 5), _columns(started, 5)
    conn.execute(
        "WITH finished AS (UPDATE calls SET ended_at = t.at, outcome = t.o, duration_seconds = t.d"
        "  FROM unnest(%s::text[], %s::text[], %s::text[], %s::float8[], %s::text[]) AS t(a, at, o, d, s)"
        "  WHERE calls.account = t.a AND calls.session_id = t.s),"
        " settled AS (UPDATE contacts SET status = t.st, last_outcome = t.o, next_attempt_at = t.d"
        "  FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[]) AS t(a, st, o, d, n)"
        "  WHERE contacts.account = t.a AND contacts.id = t.n),"
        " placed AS (INSERT INTO calls (account, campaign_id, contact_id, session_id, node_id, started_at)"
        "  SELECT t.a, t.c, t.n, t.s, %s, t.at FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[])"
        "  AS t(a, c, n, s, at))"
        " UPDATE contacts SET status = 'dialing', attempts = attempts + 1, last_attempt_at = t.at, session_id = t.s,"
        " next_attempt_at = NULL FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[])"
        " AS t(a, c, n, s, at) WHERE contacts.account = t.a AND contacts.id = t.n",
        [*ended, *contacts, node, *placed, *placed],
    )  # fmt: skip


def _rows(conn: psycopg.Connection[Any], sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(sql, list(params)).fetchall()


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [list(column) for column in zip(*rows)] if rows else [[] for _ in range(width)]


class RoundConnection(PgConnection):
    """One account's connection inside `write_many`: what its round reads first comes from what
    was read for every account, and its calls' and contacts' writes are held for the commit."""

    def __init__(self, conn: psycopg.Connection[Any], account: str, node: str, together: Together) -> None:
        super().__init__(conn, account, node)
        self.together, self.name = together, account

    def has_work(self) -> bool:
        live = self.together.live[self.name]
        return bool(self.together.flying[self.name]) or any(c["status"] != "paused" for c in live)

    def live_campaigns(self) -> list[dict[str, Any]]:
        return self.together.live[self.name]

    def calls_in_flight(self) -> list[CallInFlight]:
        return self.together.flying[self.name]

    def get_limits(self) -> dict[str, int] | None:
        return self.together.limits.get(self.name)

    def usage_since(self, minute: str, day: str) -> tuple[int, int, float]:
        return self.together.usage(self.name, minute, day)

    def due_contacts(self, campaign: dict[str, Any], now: str, limit: int) -> list[dict[str, Any]]:
        rows = self.together.due(campaign, now, limit)
        if rows is None:  # not read with the others (a campaign that was not running then)
            return super().due_contacts(campaign, now, limit)
        return due(rows, campaign) if rows else []

    def finish_calls(self, ended: list[tuple[str, str, float, str]]) -> None:
        self.together.finish(self.name, ended)

    def settle_contacts(self, settled: list[tuple[str, str, str | None, int]]) -> None:
        self.together.settled += [(self.name, *contact) for contact in settled]

    def start_calls(self, started: list[tuple[str, int, str]], now: str) -> None:
        self.together.started += [(self.name, campaign, contact, session, now) for campaign, contact, session in started]
