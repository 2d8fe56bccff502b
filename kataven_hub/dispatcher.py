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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import anyio.to_thread
import sqlite_utils

from kataven_hub import clock, storage
from kataven_hub.dialer import Call, CampaignRejected, Dialer, Outcome, UnknownSession
from kataven_hub.errors import ConfigurationError
from kataven_hub.limits import call_limits
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
        """One round over every account."""
        for account in self.stores.account_names():
            self.tick_account(self.stores.account(account), now)

    def tick_account(self, database: Database, now: datetime) -> None:
        if not calls.has_work(database.read()):  # most accounts, most of the time: no write lock
            return
        with database.write() as db:
            self._settle(db, now)
            self._start_scheduled(db, now)
            placed = self._plan(database, db, now)
            self._complete(db, now)
        rejected: dict[str, str] = {}
        for campaign_id, call in placed:
            if campaign_id not in rejected:
                try:
                    self.dialer.dial(call, now)
                    continue
                except CampaignRejected as err:
                    rejected[campaign_id] = str(err)
            with database.write() as db:
                self._reject(db, campaign_id, call, rejected[campaign_id], now)

    def _campaign_seconds(self, seconds: float) -> timedelta:
        """Real time that `seconds` of campaign time take at this time scale."""
        return timedelta(seconds=seconds / self.time_scale)

    def _settle(self, db: sqlite_utils.Database, now: datetime) -> None:
        for call in calls.calls_in_flight(db):
            try:
                outcome = self.dialer.poll(call["session_id"], now)
            except UnknownSession:
                outcome = Outcome("failed", now, 0.0)
            if outcome is not None:
                self._record(db, call, outcome)

    def _record(self, db: sqlite_utils.Database, call: dict[str, Any], outcome: Outcome) -> None:
        campaign = storage.get_campaign(db, call["campaign_id"])
        assert campaign is not None
        calls.finish_call(db, call["session_id"], clock.iso(outcome.ended_at), outcome.status, outcome.duration_seconds)
        attempts = calls.contact_attempts(db, call["contact_id"])
        retry = (
            outcome.status != "completed"
            and campaign["status"] in ("running", "paused")
            and attempts <= campaign["retries_per_contact"]
        )
        if retry:
            due = outcome.ended_at + self._campaign_seconds(campaign["retry_delay_seconds"])
            calls.settle_contact(db, call["contact_id"], "pending", outcome.status, clock.not_before(due))
        else:
            calls.settle_contact(db, call["contact_id"], outcome.status, outcome.status, None)

    def _start_scheduled(self, db: sqlite_utils.Database, now: datetime) -> None:
        for campaign in storage.campaigns_in(db, ["scheduled"]):
            if clock.parse(campaign["scheduled_at"]) <= now:
                changes = {"status": "running"}
                if "started_at" not in campaign:
                    changes["started_at"] = clock.iso(now)
                storage.update_campaign(db, campaign["id"], "scheduled", **changes)

    def _plan(self, database: Database, db: sqlite_utils.Database, now: datetime) -> list[tuple[str, Call]]:
        """Record as many due attempts as every limit allows; a refused call waits, costing nothing."""
        budget = self._account_budget(database, db, now)
        placed: list[tuple[str, Call]] = []
        for campaign in storage.campaigns_in(db, ["running"]):
            room = min(budget, campaign["max_concurrent_calls"] - calls.in_flight(db, campaign["id"]))
            for contact in calls.due_contacts(db, campaign["id"], clock.iso(now), max(room, 0)):
                session_id = str(uuid.uuid4())
                calls.start_call(db, campaign["id"], contact["id"], session_id, clock.iso(now))
                call = Call(
                    session_id=session_id,
                    campaign_id=campaign["id"],
                    contact_id=contact["id"],
                    attempt=contact["attempts"] + 1,
                    phone_number=contact["phone_number"],
                    agent_id=campaign["agent_id"],
                    phone_number_id=campaign["phone_number_id"],
                    custom_fields=contact["custom_fields"],
                )
                placed.append((campaign["id"], call))
                budget -= 1
        return placed

    def _account_budget(self, database: Database, db: sqlite_utils.Database, now: datetime) -> int:
        limits = call_limits(database)
        minute_calls, _ = calls.usage_since(db, clock.iso(now - self._campaign_seconds(MINUTE)))
        day_calls, day_seconds = calls.usage_since(db, clock.iso(now - self._campaign_seconds(DAY)))
        if day_seconds >= limits["daily_minutes_max"] * 60:
            return 0
        return min(
            limits["concurrent_max"] - calls.in_flight(db),
            limits["calls_per_minute"] - minute_calls,
            limits["daily_calls_max"] - day_calls,
        )

    def _complete(self, db: sqlite_utils.Database, now: datetime) -> None:
        for campaign in storage.campaigns_in(db, ["running"]):
            if not calls.has_unsettled(db, campaign["id"]):
                storage.update_campaign(
                    db, campaign["id"], "running", status="completed", completed_at=clock.iso(now)
                )

    def _reject(self, db: sqlite_utils.Database, campaign_id: str, call: Call, reason: str, now: datetime) -> None:
        """The carrier refused the campaign: the attempt fails and so does the campaign."""
        calls.finish_call(db, call.session_id, clock.iso(now), "failed", 0.0)
        calls.settle_contact(db, call.contact_id, "failed", "failed", None)
        if storage.update_campaign(db, campaign_id, "running", status="failed", completed_at=clock.iso(now)):
            log.warning("campaign %s failed: %s", campaign_id, reason)
        storage.skip_pending(db, campaign_id)


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
