"""The simulated carrier with its record in the database (PostgreSQL mode): the same seeded
outcomes as `SimulatedCarrier`, but what it placed is shared by every replica, so any replica
settles any call, and a replica that dies leaves its calls going on, as a real carrier would."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from kataven_hub import clock
from kataven_hub.dispatch.dialer import Call, CampaignRejected, Outcome, SimulatedCarrier


class Record(Protocol):
    def place(self, calls: Mapping[str, list[tuple[str, str, int, int, str, str, str, float]]]) -> int: ...
    def outcomes(self, session_ids: list[str]) -> dict[str, tuple[str, str, float] | None]: ...
    def ends_at(self, session_id: str) -> str | None: ...


class RecordedCarrier(SimulatedCarrier):
    """A call is placed only if its attempt is still open when the record is written (under the
    account's lock): an attempt another replica settled as lost is never dialled late. What this
    replica has learnt of each call's end (it dialled it, or polled it) it keeps in memory, as the
    in-process carrier does, until the call is settled: `known_end`."""

    def __init__(self, record: Record, seed: int = 0, time_scale: float = 1.0,
                 weights: dict[str, float] | None = None) -> None:  # fmt: skip
        super().__init__(seed, time_scale, weights)
        self.record = record

    def dial_all(self, calls: list[Call], now: datetime) -> dict[str, str]:
        rejected: dict[str, str] = {}
        by_account: dict[str, list[tuple[str, str, int, int, str, str, str, float]]] = defaultdict(list)
        for call in calls:
            try:
                outcome = self.draw(call, now)
            except CampaignRejected as err:
                rejected[call.campaign_id] = str(err)
                continue
            self._calls[call.session_id] = outcome
            by_account[call.account].append((
                call.session_id, call.campaign_id, call.contact_id, call.attempt, clock.iso(now),
                clock.iso(outcome.ended_at), outcome.status, outcome.duration_seconds,
            ))  # fmt: skip
        if by_account:
            self.record.place(by_account)
        self._forget_unpolled(now)
        return rejected

    def poll_many(self, session_ids: list[str], now: datetime) -> dict[str, Outcome | None]:
        known = self.record.outcomes(session_ids)
        found: dict[str, Outcome | None] = {}
        for session_id in session_ids:
            if session_id not in known:  # lost: never placed, and never will be
                found[session_id] = Outcome("failed", now, 0.0)
                continue
            placed = known[session_id]
            if placed is None:  # recorded, not dialled yet
                found[session_id] = None
                continue
            outcome = self._calls[session_id] = Outcome(placed[0], clock.parse(placed[1]), placed[2])
            found[session_id] = None if outcome.ended_at > now else outcome
        return found

    def ends_at(self, session_id: str, now: datetime) -> datetime | None:
        found = self.record.ends_at(session_id)
        return now if found is None else clock.parse(found)
