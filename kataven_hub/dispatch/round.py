"""One dispatch round in one account. In one transaction: settle the calls that ended, start the
scheduled campaigns whose time has come, record the next attempts the limits allow (contact
`dialing`, attempt counted), complete the campaigns with nothing left. Only then, outside the
transaction, are those calls dialled: a crash can lose a call, never place one twice.

On SQLite, after a restart the dialer no longer knows the calls placed before it: each such
attempt is settled as `failed` at the moment it is found, and follows the retry rule.

On PostgreSQL several replicas run rounds; the account's lock (`Database.write`, only tried here:
a busy account is skipped this round) makes each round the account's only writer, so the caps,
the windows and the retry rule hold whatever the number of replicas. The carrier's record is
shared (`dispatch.shared`): a call placed by a replica that dies goes on and is settled by the
next round, on any replica. An attempt recorded by a replica that died before dialling it is
settled as `failed` once that replica is known dead (`storage.pg.carrier`), and it is placed only
while still open, so it is never dialled late. A crash can therefore count as failed an attempt
that was never dialled; it cannot place a contact in two calls at once, nor an attempt over the
retries, nor a call over a cap.

There a replica rounds the accounts it holds several at a time (`run_rounds`, in the one
transaction of `Backend.write_many`): their calls in flight are polled at once, every account is
settled before any is planned, and all is committed before any call is dialled. The guarantees
are the same. The driver holds a round's writes to the commit, so a contact settled in it is due
again (a retry with no delay), and a campaign with nothing left completes, at the next round.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kataven_hub import clock
from kataven_hub.campaigns.limits import call_limits_in
from kataven_hub.campaigns.states import Status, move, start_order
from kataven_hub.dispatch.dialer import Call, Dialer, Outcome
from kataven_hub.dispatch.dials import dial_committed, write_in
from kataven_hub.storage import Backend, Connection, Database

MINUTE, DAY = 60.0, 86_400.0


@dataclass(frozen=True)
class Worked:
    """A round that had something to do. `quiet_until`, when known: before then only a call
    ending, or a change from outside (`Database.mark_work`), can change the account."""

    quiet_until: datetime | None = None


def run_round(
    database: Database, dialer: Dialer, now: datetime, *, time_scale: float = 1.0, wait: bool = False
) -> Worked | None:
    """One round in one account's database; None if it had nothing to do. The outcomes it
    settled are forgotten by the dialer only once committed: a round that fails (a full disk)
    loses none, and places none. Unless told to `wait`, an account another writer holds is
    skipped (`Busy`): the next round comes soon."""
    with database.write(wait=wait) as conn:
        if not conn.has_work():
            return None
        work = AccountRound(conn, dialer, now, time_scale=time_scale, account=database.name)
        placed = work.record()
    dialer.forget(work.settled)
    refused = dial_committed(dialer, placed, now, lambda _account: database.write())
    return Worked(None if refused else work.quiet_until())


def run_rounds(
    stores: Backend, together: AbstractContextManager[Mapping[str, Connection]], dialer: Dialer, now: datetime, *,
    time_scale: float = 1.0,
) -> dict[str, Worked | None]:  # fmt: skip
    """`run_round` in several accounts at once, in one transaction (`Backend.write_many`): what
    each account it could take did. The calls in flight of all of them are polled together, every
    account is settled before any is planned, and all is committed before any call is dialled."""
    with together as conns:
        rounds = {account: AccountRound(conn, dialer, now, time_scale=time_scale, account=account)
                  for account, conn in conns.items() if conn.has_work()}  # fmt: skip
        idle = [account for account in conns if account not in rounds]
        in_flight = [session for work in rounds.values() for *_ids, session, _attempts in work.conn.calls_in_flight()]
        polled = dialer.poll_many(in_flight, now) if in_flight else {}
        for work in rounds.values():
            work.settle_and_start(polled)
        placed = [call for work in rounds.values() for call in work.plan_and_complete()]
    dialer.forget([session for work in rounds.values() for session in work.settled])
    refused = dial_committed(dialer, placed, now, lambda account: write_in(stores, account))
    done: dict[str, Worked | None] = {account: None for account in idle}
    done.update({account: Worked(None if account in refused else work.quiet_until()) for account, work in rounds.items()})
    return done


class AccountRound:
    """What one round records, inside the account's write transaction: `conn`, the campaigns that
    are live (running, scheduled or paused) and the calls in flight by campaign, at `now`."""

    def __init__(self, conn: Connection, dialer: Dialer, now: datetime, *, time_scale: float, account: str = "") -> None:
        self.conn, self.dialer, self.now, self.time_scale, self.account = conn, dialer, now, time_scale, account
        self.live = {c["id"]: c for c in conn.live_campaigns()}
        self.flying: Counter[str] = Counter()
        self.going: list[str] = []  # the sessions in flight after the round
        self.settled: list[str] = []  # the sessions whose outcome this round records
        self.full = False  # no room left but what a call ending makes

    def record(self) -> list[Call]:
        """Settle, start, record the next attempts, complete; the calls to dial."""
        self.settle_and_start()
        return self.plan_and_complete()

    def settle_and_start(self, polled: Mapping[str, Outcome | None] | None = None) -> None:
        """Settle the calls that ended (`polled`: their outcomes, asked already), start the
        scheduled campaigns whose time has come."""
        self._settle(polled)
        self._start_scheduled()

    def plan_and_complete(self) -> list[Call]:
        """Record the next attempts, complete what is done; the calls to dial."""
        placed = self._plan()
        self._complete()
        return placed

    def _settle(self, polled: Mapping[str, Outcome | None] | None) -> None:
        """Record the calls that ended; count those still in flight, by campaign."""
        ended: list[tuple[str, int, int, Outcome, str]] = []
        flying = self.conn.calls_in_flight()
        if polled is None:
            polled = self.dialer.poll_many([session for *_ids, session, _attempts in flying], self.now) if flying else {}
        for _id, campaign_id, contact_id, session_id, attempts in flying:
            outcome = polled.get(session_id)
            if outcome is None:
                self.flying[campaign_id] += 1
                self.going.append(session_id)
            else:
                ended.append((campaign_id, contact_id, attempts, outcome, session_id))
        self.settled = [session for *_, session in ended]
        if ended:
            finished = [(clock.iso(o.ended_at), o.status, o.duration_seconds, s) for *_, o, s in ended]
            self.conn.finish_calls(finished)
            self.conn.settle_contacts([_settlement(self.live.get(c), n, a, o, self.time_scale) for c, n, a, o, _s in ended])

    def _start_scheduled(self) -> None:
        for campaign in self._in(Status.SCHEDULED):
            if clock.parse(campaign["scheduled_at"]) <= self.now:
                campaign.update(move(self.conn, campaign, "begin", Status.RUNNING, self.now))

    def _plan(self) -> list[Call]:
        """Record as many due attempts as every limit allows; a refused call waits, costing nothing."""
        budget, concurrent_max = _budget(self.conn, sum(self.flying.values()), self.now, self.time_scale)
        at = clock.iso(self.now)
        placed: list[Call] = []
        for campaign in sorted(self._in(Status.RUNNING), key=start_order):
            room = min(budget, campaign["max_concurrent_calls"] - self.flying[campaign["id"]])
            if room <= 0:
                continue
            for contact in self.conn.due_contacts(campaign, at, room):
                placed.append(_call(campaign, contact, self.account))
                self.flying[campaign["id"]] += 1
                budget -= 1
        self.conn.start_calls([(c.campaign_id, c.contact_id, c.session_id) for c in placed], at)
        self.going += [call.session_id for call in placed]
        self.full = sum(self.flying.values()) >= concurrent_max or all(
            self.flying[campaign["id"]] >= campaign["max_concurrent_calls"] for campaign in self._in(Status.RUNNING)
        )
        return placed

    def quiet_until(self) -> datetime | None:
        """After the round, until when only a call ending can change the account (every running
        campaign at its cap, or the account's concurrency full, none scheduled): the first end the
        dialer knows of. None if that cannot be said (room left, a start ahead, an end unknown)."""
        if not self.full or self._in(Status.SCHEDULED) or not self.going:
            return None
        ends = [self.dialer.known_end(session) for session in self.going]
        return None if None in ends else min(end for end in ends if end is not None)

    def _complete(self) -> None:
        """Running campaigns with no call in flight and no contact left to call are completed."""
        for campaign in self._in(Status.RUNNING):
            if not self.flying[campaign["id"]] and not self.conn.has_unsettled(campaign["id"]):
                campaign.update(move(self.conn, campaign, "finish", Status.COMPLETED, self.now))

    def _in(self, status: Status) -> list[dict[str, Any]]:
        return [c for c in self.live.values() if c["status"] == status]


def _budget(conn: Connection, flying: int, now: datetime, time_scale: float) -> tuple[int, int]:
    """How many calls the account may start now, with `flying` calls in flight, and its
    concurrency cap."""
    limits = call_limits_in(conn)
    minute, day = (clock.iso(now - _real_time(window, time_scale)) for window in (MINUTE, DAY))
    minute_calls, day_calls, day_seconds = conn.usage_since(minute, day)
    if day_seconds >= limits["daily_minutes_max"] * 60:
        return 0, limits["concurrent_max"]
    budget = min(
        limits["concurrent_max"] - flying,
        limits["calls_per_minute"] - minute_calls,
        limits["daily_calls_max"] - day_calls,
    )
    return budget, limits["concurrent_max"]


def _real_time(seconds: float, time_scale: float) -> timedelta:
    """Real time that `seconds` of campaign time take at this time scale."""
    return timedelta(seconds=seconds / time_scale)


def _settlement(
    campaign: dict[str, Any] | None, contact_id: int, attempts: int, outcome: Outcome, time_scale: float
) -> tuple[str, str, str | None, int]:
    """The contact after its call: pending again for a retry the campaign allows, else settled.
    `campaign` is None when it is no longer live (stopped, completed or failed meanwhile)."""
    retry = (
        outcome.status != "completed"
        and campaign is not None
        and campaign["status"] in (Status.RUNNING, Status.PAUSED)
        and attempts <= campaign["retries_per_contact"]
    )
    if retry:
        assert campaign is not None
        due = outcome.ended_at + _real_time(campaign["retry_delay_seconds"], time_scale)
        return ("pending", outcome.status, clock.not_before(due), contact_id)
    return (outcome.status, outcome.status, None, contact_id)


def _call(campaign: dict[str, Any], contact: dict[str, Any], account: str) -> Call:
    return Call(
        account=account,
        session_id=str(uuid.uuid4()),
        campaign_id=campaign["id"],
        contact_id=contact["id"],
        attempt=contact["attempts"] + 1,
        phone_number=contact["phone_number"],
        agent_id=campaign["agent_id"],
        phone_number_id=campaign["phone_number_id"],
        custom_fields=contact["custom_fields"],
    )
