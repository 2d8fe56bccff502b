"""`--rate-limits` on PostgreSQL: a storage for the `limits` library, so that every replica counts
an account's requests in the same sliding-window counters (`rate_counters`), and the requests each
replica has in flight, published for the others (`requests_in_flight`).

Each operation is one statement; `take` counts a batch of requests in one, the requests of an
account by one upsert of its windows' counters, checked under their row locks, so replicas racing
at the limit cannot both pass. Times are the replicas' clocks (`time.time()`, as `limits` reads them): keep them in sync."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import psycopg
from limits import RateLimitItem
from limits.storage import SlidingWindowCounterSupport, Storage
from limits.storage.base import TimestampedSlidingWindow

from kataven_hub.errors import HubError
from kataven_hub.storage.pg.work import NODE_TTL

if TYPE_CHECKING:
    from kataven_hub.storage.pg.db import PgBackend


class PostgresStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """The `limits` storage over the backend's pool."""

    STORAGE_SCHEME = ["hub+postgresql"]

    def __init__(self, backend: PgBackend) -> None:
        super().__init__()
        self.backend = backend

    @property
    def base_exceptions(self) -> type[Exception]:
        return psycopg.Error

    def _one(self, sql: str, params: list[Any] | dict[str, Any]) -> tuple[Any, ...] | None:
        with self.backend.connection() as conn:
            return conn.execute(sql, params).fetchone()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        row = self._one(
            "INSERT INTO rate_counters (key, n, expires_at) VALUES (%s, %s, %s) ON CONFLICT (key) DO UPDATE SET"
            " n = CASE WHEN rate_counters.expires_at <= %s THEN excluded.n ELSE rate_counters.n + excluded.n END,"
            " expires_at = CASE WHEN rate_counters.expires_at <= %s THEN excluded.expires_at"
            " ELSE rate_counters.expires_at END RETURNING n", [key, amount, now + expiry, now, now],
        )  # fmt: skip
        return int(row[0]) if row else 0

    def get(self, key: str) -> int:
        row = self._one("SELECT n FROM rate_counters WHERE key = %s AND expires_at > %s", [key, time.time()])
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._one("SELECT expires_at FROM rate_counters WHERE key = %s", [key])
        return float(row[0]) if row else time.time()

    def clear(self, key: str) -> None:
        self._one("DELETE FROM rate_counters WHERE key = %s RETURNING 1", [key])

    def check(self) -> bool:
        return self._one("SELECT 1", []) is not None

    def reset(self) -> int | None:
        row = self._one("WITH gone AS (DELETE FROM rate_counters RETURNING 1) SELECT count(*) FROM gone", [])
        return int(row[0]) if row else 0

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        now = time.time()
        previous, current, previous_ttl, current_ttl = _window(key, expiry, now)
        row = self._one(
            "SELECT coalesce(sum(n) FILTER (WHERE key = %s), 0), coalesce(sum(n) FILTER (WHERE key = %s), 0)"
            " FROM rate_counters WHERE key IN (%s, %s) AND expires_at > %s", [previous, current, previous, current, now],
        )  # fmt: skip
        before, this = (int(row[0]), int(row[1])) if row else (0, 0)
        return before, previous_ttl if before else 0.0, this, current_ttl

    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Count a request if the window's weighted count leaves room, in one statement: the check
        and the increment happen under the current counter's row lock."""
        if amount > limit:
            return False
        now = time.time()
        previous, current, previous_ttl, _ttl = _window(key, expiry, now)
        row = self._one(
            "WITH before AS (SELECT coalesce((SELECT n FROM rate_counters WHERE key = %(p)s AND expires_at > %(now)s), 0)"
            " * %(weight)s AS w) INSERT INTO rate_counters (key, n, expires_at)"
            " SELECT %(c)s, %(a)s, %(exp)s FROM before WHERE floor(before.w) + %(a)s <= %(limit)s"
            " ON CONFLICT (key) DO UPDATE SET n = rate_counters.n + excluded.n"
            " WHERE floor((SELECT w FROM before) + rate_counters.n) + excluded.n <= %(limit)s RETURNING n",
            {"p": previous, "c": current, "now": now, "weight": previous_ttl / expiry, "a": amount,
             "exp": now + 2 * expiry, "limit": limit},
        )  # fmt: skip
        return row is not None

    def take(self, requests: list[tuple[str, list[RateLimitItem]]]) -> list[RateLimitItem | None]:
        """Count each request (its account, its windows) in every window or in none, in order: per
        request None, or its first window without room. One round trip for them all, and one
        upsert for the requests of one account alike in their windows (`hub_take_groups`,
        migration 0005), sent in the order of their accounts, so that two batches lock the
        counters in one order."""
        now = time.time()
        groups: dict[tuple[str, tuple[RateLimitItem, ...]], list[int]] = {}
        for i, (account, items) in enumerate(requests):
            groups.setdefault((account, tuple(items)), []).append(i)
        order = sorted(groups, key=lambda group: group[0])
        taken = [(_window(item.key_for(account), item.get_expiry(), now), item) for account, items in order for item in items]
        windows = len(order[0][1]) if order else 1
        row = self._one(
            "SELECT hub_take_groups(%s, %s, %s, %s, %s, %s, %s, %s)",
            [[w[0] for w, _ in taken], [w[1] for w, _ in taken], [w[2] / item.get_expiry() for w, item in taken],
             [item.amount for _, item in taken], [now + 2 * item.get_expiry() for _, item in taken],
             windows, [len(groups[group]) for group in order], now],
        )  # fmt: skip
        return _answers(requests, [groups[group] for group in order], row[0] if row else [], windows)

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        previous, current = self.sliding_window_keys(key, expiry, time.time())
        self._one("DELETE FROM rate_counters WHERE key IN (%s, %s) RETURNING 1", [previous, current])


def _answers(
    requests: list[tuple[str, list[RateLimitItem]]], groups: list[list[int]], rooms: list[int], windows: int
) -> list[RateLimitItem | None]:
    """Per request, None or the window it was refused in, from each group's (its requests, in
    order) rooms, window by window: the group's first requests up to its smallest room are
    counted, and each later one is refused in the first window without room once they are."""
    answers: list[RateLimitItem | None] = [None] * len(requests)
    for g, group in enumerate(groups):
        room = rooms[g * windows : (g + 1) * windows]
        passed = max(0, min(len(group), *room))
        refused = next((w for w, left in enumerate(room) if left <= passed), 0)
        for rank, i in enumerate(group, 1):
            answers[i] = None if rank <= passed else requests[i][1][refused]
    return answers


def _window(key: str, expiry: int, now: float) -> tuple[str, str, float, float]:
    """A window's previous and current counter keys (as `limits` names them) and their lives left."""
    previous, current = TimestampedSlidingWindow.sliding_window_keys(key, expiry, now)
    previous_ttl = (1 - (((now - expiry) / expiry) % 1)) * expiry
    current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
    return previous, current, previous_ttl, current_ttl


class InFlight:
    """What the other live replicas have in flight, per account: a thread of each replica publishes
    its own counts every second and reads the others' (so the sum is up to a second old)."""

    EVERY = 1.0

    def __init__(self, backend: PgBackend) -> None:
        self.backend = backend
        self._others: dict[str, int] = {}
        self._mine: Mapping[str, int] = {}
        self._thread: threading.Thread | None = None

    def others(self, account: str, mine: Mapping[str, int]) -> int:
        """The other replicas' requests in flight for the account; `mine`, this replica's live
        counts, is published from now on."""
        if self._thread is None:
            self._mine = mine
            self._thread = threading.Thread(target=self._publish, name="requests-in-flight", daemon=True)
            self._thread.start()
        return self._others.get(account, 0)

    def _publish(self) -> None:
        while not self.backend.pool.closed:
            try:
                self._sync(dict(self._mine))
            except HubError:  # the database is away: logged where met; the counts wait for its return
                pass
            time.sleep(self.EVERY)

    def _sync(self, mine: dict[str, int]) -> None:
        node = self.backend.node
        busy = {account: n for account, n in mine.items() if n > 0}
        with self.backend.connection() as conn:
            conn.execute("DELETE FROM rate_counters WHERE expires_at < %s", [time.time()])  # windows long past
            conn.execute("DELETE FROM requests_in_flight WHERE node = %s AND NOT (account = ANY(%s))", [node, list(busy)])
            if busy:
                conn.execute(
                    "INSERT INTO requests_in_flight (node, account, n) SELECT %s, a, n FROM unnest(%s::text[], %s::int[])"
                    " AS t(a, n) ON CONFLICT (node, account) DO UPDATE SET n = excluded.n, at = now()",
                    [node, list(busy), list(busy.values())],
                )  # fmt: skip
            rows = conn.execute(
                "SELECT account, sum(n) FROM requests_in_flight WHERE node <> %s"
                " AND at > now() - make_interval(secs => %s) GROUP BY account", [node, NODE_TTL],
            ).fetchall()  # fmt: skip
        self._others = {account: int(n) for account, n in rows}
