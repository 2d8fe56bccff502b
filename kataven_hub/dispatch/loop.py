"""The dispatcher: dials every running campaign's contacts within its limits, with retries.

All state is in SQLite; `tick(now)` does one round and can be driven from a test with a fixed
clock. A round, per account, in one transaction: settle the calls that ended, start scheduled
campaigns whose time has come, record the next attempts the limits allow (contact `dialing`,
attempt counted), complete campaigns with nothing left. Only then, outside the transaction, are
those calls dialled: a crash can lose a call, never place one twice.

After a restart the dialer no longer knows the calls placed before it: each such attempt is
settled as `failed` at the moment it is found, and follows the retry rule.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import anyio.to_thread
import sqlite_utils

from kataven_hub import clock, storage
from kataven_hub.campaigns.limits import call_limits_in
from kataven_hub.dispatch.dialer import Call, CampaignRejected, Dialer, Outcome, UnknownSession
from kataven_hub.errors import ConfigurationError
from kataven_hub.storage import Database, Stores
from kataven_hub.storage import dispatch as calls

log = logging.getLogger(__name__)
MINUTE, DAY = 60.0, 86_400.0


class Dispatcher:
    def __init__(self, stores: Stores, dialer: Dialer, *, time_scale: float = 1.0) -> None:
        self.stores = stores
        self.dialer = dialer
        self.time_scale = time_scale

    def tick(self, now: datetime) -> None:
        """One round over the accounts in the index of accounts with work; one with no work left
        leaves the index. The other accounts cost nothing, however many there are."""
        for account in self.stores.accounts_with_work():
            self._round_in(account, now)

    def _round_in(self, account: str, now: datetime) -> None:
        try:
            with self.stores.account(account) as database:
                worked = self.tick_account(database, now)
            if not worked:
                self.stores.forget_if_idle(account)
        except Exception:  # one broken account must not stop the others
            log.exception("dispatch round failed in account %s", account)

    def recover(self) -> None:
        """At start-up, before the first round: the index of accounts with work made exact."""
        read = self.stores.check_work_index()
        if read:
            log.info("built the index of accounts with work from all %d accounts (once)", read)

    def tick_account(self, database: Database, now: datetime) -> bool:
        """One round in one account; False if it had nothing to do."""
        with database.write() as db:
            live = {c["id"]: c for c in calls.live_campaigns(db)}
            in_flight = calls.calls_in_flight(db)
            if not in_flight and all(c["status"] == "paused" for c in live.values()):
                return False  # no work: what `calls.has_work` says, from what is read anyway
            flying = self._settle(db, live, in_flight, now)
            self._start_scheduled(db, live, now)
            placed = self._plan(db, live, flying, now)
            self._complete(db, live, flying, now)
        rejected: dict[str, str] = {}
        for call in placed:
            if call.campaign_id not in rejected:
                try:
                    self.dialer.dial(call, now)
                    continue
                except CampaignRejected as err:
                    rejected[call.campaign_id] = str(err)
            with database.write() as db:
                self._reject(db, call, rejected[call.campaign_id], now)
        return True

    def _campaign_seconds(self, seconds: float) -> timedelta:
        """Real time that `seconds` of campaign time take at this time scale."""
        return timedelta(seconds=seconds / self.time_scale)

    def _settle(
        self, db: sqlite_utils.Database, live: dict[str, dict[str, Any]], in_flight: list[tuple[Any, ...]], now: datetime
    ) -> Counter[str]:
        """Record the calls that ended; the calls still in flight, by campaign."""
        ended: list[tuple[str, int, int, Outcome, str]] = []
        flying: Counter[str] = Counter()
        for _id, campaign_id, contact_id, session_id, attempts in in_flight:
            try:
                outcome = self.dialer.poll(session_id, now)
            except UnknownSession:
                outcome = Outcome("failed", now, 0.0)
            if outcome is None:
                flying[campaign_id] += 1
            else:
                ended.append((campaign_id, contact_id, attempts, outcome, session_id))
        if ended:
            calls.finish_calls(db, [(clock.iso(o.ended_at), o.status, o.duration_seconds, s) for *_, o, s in ended])
            calls.settle_contacts(db, [self._settlement(live.get(c), n, a, o) for c, n, a, o, _s in ended])
        return flying

    def _settlement(
        self, campaign: dict[str, Any] | None, contact_id: int, attempts: int, outcome: Outcome
    ) -> tuple[str, str, str | None, int]:
        """The contact after its call: pending again for a retry the campaign allows, else settled."""
        retry = (
            outcome.status != "completed"
            and campaign is not None  # not stopped, completed or failed meanwhile
            and campaign["status"] in ("running", "paused")
            and attempts <= campaign["retries_per_contact"]
        )
        if retry:
            assert campaign is not None
            due = outcome.ended_at + self._campaign_seconds(campaign["retry_delay_seconds"])
            return ("pending", outcome.status, clock.not_before(due), contact_id)
        return (outcome.status, outcome.status, None, contact_id)

    def _start_scheduled(self, db: sqlite_utils.Database, live: dict[str, dict[str, Any]], now: datetime) -> None:
        for campaign in [c for c in live.values() if c["status"] == "scheduled"]:
            if clock.parse(campaign["scheduled_at"]) <= now:
                changes = {"status": "running"}
                if "started_at" not in campaign:
                    changes["started_at"] = clock.iso(now)
                storage.update_campaign(db, campaign["id"], "scheduled", **changes)
                campaign.update(changes)

    def _plan(
        self, db: sqlite_utils.Database, live: dict[str, dict[str, Any]], flying: Counter[str], now: datetime
    ) -> list[Call]:
        """Record as many due attempts as every limit allows; a refused call waits, costing nothing."""
        budget = self._account_budget(db, sum(flying.values()), now)
        at = clock.iso(now)
        placed: list[Call] = []
        running = [c for c in live.values() if c["status"] == "running"]
        for campaign in sorted(running, key=lambda c: (c["started_at"], c["id"])):  # oldest start first
            room = min(budget, campaign["max_concurrent_calls"] - flying[campaign["id"]])
            if room <= 0:
                continue
            for contact in calls.due_contacts(db, campaign, at, room):
                placed.append(
                    Call(
                        session_id=str(uuid.uuid4()),
                        campaign_id=campaign["id"],
                        contact_id=contact["id"],
                        attempt=contact["attempts"] + 1,
                        phone_number=contact["phone_number"],
                        agent_id=campaign["agent_id"],
                        phone_number_id=campaign["phone_number_id"],
                        custom_fields=contact["custom_fields"],
                    )
                )
                flying[campaign["id"]] += 1
                budget -= 1
        calls.start_calls(db, [(c.campaign_id, c.contact_id, c.session_id) for c in placed], at)
        return placed

    def _account_budget(self, db: sqlite_utils.Database, in_flight: int, now: datetime) -> int:
        limits = call_limits_in(db)
        minute, day = (clock.iso(now - self._campaign_seconds(window)) for window in (MINUTE, DAY))
        minute_calls, day_calls, day_seconds = calls.usage_since(db, minute, day)
        if day_seconds >= limits["daily_minutes_max"] * 60:
            return 0
        return min(
            limits["concurrent_max"] - in_flight,
            limits["calls_per_minute"] - minute_calls,
            limits["daily_calls_max"] - day_calls,
        )

    def _complete(
        self, db: sqlite_utils.Database, live: dict[str, dict[str, Any]], flying: Counter[str], now: datetime
    ) -> None:
        """Running campaigns with no call in flight and no contact left to call are completed."""
        for campaign in live.values():
            if campaign["status"] != "running" or flying[campaign["id"]]:
                continue
            if not calls.has_unsettled(db, campaign["id"]):
                storage.update_campaign(db, campaign["id"], "running", status="completed", completed_at=clock.iso(now))

    def _reject(self, db: sqlite_utils.Database, call: Call, reason: str, now: datetime) -> None:
        """The carrier refused the campaign: the attempt fails and so does the campaign."""
        calls.finish_calls(db, [(clock.iso(now), "failed", 0.0, call.session_id)])
        calls.settle_contacts(db, [("failed", "failed", None, call.contact_id)])
        if storage.update_campaign(db, call.campaign_id, "running", status="failed", completed_at=clock.iso(now)):
            log.warning("campaign %s failed: %s", call.campaign_id, reason)
        storage.skip_pending(db, call.campaign_id)


class DispatchLock:
    """One dispatcher per data directory: an exclusive lock on `dispatcher.lock`, which the
    operating system releases when the process dies, however it dies."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "dispatcher.lock"
        self._file: TextIO | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise ConfigurationError(
                f"another server (pid {owner}) is dispatching from {self.path.parent};"
                " stop it, or start this one with HUB_DISPATCH=0 to serve the API only"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def ensure_free(self) -> None:
        """ConfigurationError if another process holds the lock now."""
        self.acquire()
        self.release()

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


async def run_forever(dispatcher: Dispatcher, interval: float) -> None:
    """Tick every `interval` seconds until cancelled; a failing round is logged, not fatal."""
    while True:
        try:
            await anyio.to_thread.run_sync(dispatcher.tick, clock.now())
        except Exception:
            log.exception("dispatch round failed; retrying")
        await asyncio.sleep(interval)
