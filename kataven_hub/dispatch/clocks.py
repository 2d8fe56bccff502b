"""Dev mode's account clocks: an account's clock may run ahead of the machine's, and `advance`
moves it forward, running at once the rounds that fall in between (those where something can
happen: a call ends, a retry or a scheduled start falls due, a usage window frees room). While one
account's clock moves, the background rounds leave that account alone (`moving`)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from kataven_hub import clock
from kataven_hub.dispatch.dialer import Dialer
from kataven_hub.dispatch.round import DAY, MINUTE, run_round
from kataven_hub.storage import Backend, Database


class AccountClocks:
    def __init__(self, stores: Backend, dialer: Dialer, time_scale: float, interval: timedelta, *, enabled: bool) -> None:
        self.stores, self.dialer, self.time_scale, self.interval = stores, dialer, time_scale, interval
        self.enabled = enabled
        self.moving: dict[str, threading.Lock] = {}  # account: held while its clock moves

    def ahead(self, database: Database) -> timedelta:
        """How far the account's clock runs ahead of the machine's (always 0 unless enabled)."""
        if not self.enabled:
            return timedelta(0)
        with database.read() as conn:
            return timedelta(seconds=conn.clock_ahead())

    def advance(self, account: str, seconds: float) -> tuple[datetime, int]:
        """Move the account's clock `seconds` forward, running the rounds that fall in between;
        the account's time after, and how many rounds ran."""
        with self.moving.setdefault(account, threading.Lock()), self.stores.account(account) as database:
            ahead = self.ahead(database)
            start = clock.now() + ahead
            end, at, rounds = start + timedelta(seconds=seconds), start, 0
            while at <= end and run_round(database, self.dialer, at, time_scale=self.time_scale, wait=True):
                rounds += 1
                following = self._next_event(database, at)
                if following is None:
                    break
                at = max(following, at + self.interval)
            with database.write() as conn:
                conn.set_clock_ahead((ahead + timedelta(seconds=seconds)).total_seconds())
        self.stores.work.forget_if_idle(account)
        return end, rounds

    def _next_event(self, database: Database, at: datetime) -> datetime | None:
        """The first moment after `at` when a round can change something in the account, or None."""
        with database.read() as conn:
            moments = [self.dialer.ends_at(session, at) for *_ids, session, _attempts in conn.calls_in_flight()]
            moments.append(_parsed(conn.next_due(clock.iso(at))))
            if conn.waiting(clock.iso(at)):  # held back by a limit: the next call that ends, or a window
                for window in (MINUTE, DAY):
                    since = at - timedelta(seconds=window / self.time_scale)
                    first = _parsed(conn.first_started_since(clock.iso(since)))
                    moments.append(first and first + timedelta(seconds=window / self.time_scale))
        found = [m for m in moments if m is not None]
        return min(found) if found else None


def _parsed(value: str | None) -> datetime | None:
    return None if value is None else clock.parse(value)
