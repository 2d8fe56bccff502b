"""Dialers: what places a call and later reports how it ended. The default is a simulated carrier.

A dialer is told about each call after the attempt is already recorded, and is polled for the
outcome; it never touches the database.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta
from typing import Any, Protocol

OUTCOMES = ("completed", "no_answer", "busy", "failed")
RETRYABLE = frozenset({"no_answer", "busy", "failed"})
UNREGISTERED_NUMBER = "00000000-0000-0000-0000-000000000000"


@dataclasses.dataclass(frozen=True)
class Call:
    session_id: str
    campaign_id: str
    contact_id: int
    attempt: int
    phone_number: str
    agent_id: str
    phone_number_id: str
    custom_fields: dict[str, str]
    account: str = ""


@dataclasses.dataclass(frozen=True)
class Outcome:
    status: str  # one of OUTCOMES
    ended_at: datetime
    duration_seconds: float  # campaign time: what the call would bill


class CampaignRejected(Exception):
    """The carrier refuses the campaign itself (not one call): the campaign fails."""


class UnknownSession(Exception):
    """The dialer has no record of the call, e.g. it was placed before a restart."""


class Dialer(Protocol):
    def dial_all(self, calls: list[Call], now: datetime) -> dict[str, str]:
        """Place the calls a round recorded; the campaigns the carrier refused (CampaignRejected),
        each with its reason: their calls were not placed."""

    def poll_many(self, session_ids: list[str], now: datetime) -> dict[str, Outcome | None]:
        """Each call's outcome once it has ended, None while it goes on. A call the carrier has no
        record of and never will (placed before a restart, or by a replica that died before it
        dialled) ends as `failed` at `now`, lasting nothing. The dialer keeps an outcome until told
        to `forget` it: a round whose transaction fails (a full disk) finds it again in the next."""

    def forget(self, session_ids: list[str]) -> None:
        """Drop the outcomes of calls now settled in the database."""

    def ends_at(self, session_id: str, now: datetime) -> datetime | None:
        """When a call in flight will have ended, as far as the dialer knows (None: it cannot say)."""

    def known_end(self, session_id: str) -> datetime | None:
        """When a call in flight ends, if the dialer knows it without asking anyone (None: it must
        be polled every round, as a real carrier's call is)."""


class OneByOne:
    """`dial_all` and `poll_many` for a dialer that places and answers one call at a time."""

    def dial(self, call: Call, now: datetime) -> None:
        raise NotImplementedError

    def poll(self, session_id: str, now: datetime) -> Outcome | None:
        raise NotImplementedError

    def known_end(self, session_id: str) -> datetime | None:
        return None  # unless the dialer says more: polled every round

    def dial_all(self, calls: list[Call], now: datetime) -> dict[str, str]:
        rejected: dict[str, str] = {}
        for call in calls:
            if call.campaign_id not in rejected:
                try:
                    self.dial(call, now)
                except CampaignRejected as err:
                    rejected[call.campaign_id] = str(err)
        return rejected

    def poll_many(self, session_ids: list[str], now: datetime) -> dict[str, Outcome | None]:
        found: dict[str, Outcome | None] = {}
        for session_id in session_ids:
            try:
                found[session_id] = self.poll(session_id, now)
            except UnknownSession:
                found[session_id] = Outcome("failed", now, 0.0)
        return found


# campaign-time seconds a call of each outcome lasts: (shortest, longest)
DURATIONS = {"completed": (20.0, 240.0), "no_answer": (25.0, 45.0), "busy": (2.0, 6.0), "failed": (1.0, 3.0)}
DEFAULT_WEIGHTS = {"completed": 0.6, "no_answer": 0.2, "busy": 0.1, "failed": 0.1}
FORGET_AFTER = timedelta(hours=1)
"""A call ended this long and never polled is forgotten (checked at most once a minute)."""


class SimulatedCarrier(OneByOne):
    """Seeded random outcomes and durations. `time_scale` campaign seconds pass per real second.

    The same seed, contact (its id in the account, and its number) and attempt always give the same
    call: a fresh account that makes the same campaign gets the same outcomes, whatever its id. Calls live in memory,
    so after a restart every call placed before it is an UnknownSession."""

    def __init__(self, seed: int = 0, time_scale: float = 1.0, weights: dict[str, float] | None = None) -> None:
        self.seed = seed
        self.time_scale = time_scale
        self.weights = weights or DEFAULT_WEIGHTS
        self._calls: dict[str, Outcome] = {}
        self._purged_at: datetime | None = None

    def dial(self, call: Call, now: datetime) -> None:
        self._forget_unpolled(now)
        self._calls[call.session_id] = self.draw(call, now)

    def draw(self, call: Call, now: datetime) -> Outcome:
        """How the call goes: drawn from the seed, the contact and the attempt alone."""
        if call.phone_number_id == UNREGISTERED_NUMBER:
            raise CampaignRejected(f"phone number {call.phone_number_id} is not registered")
        rng = random.Random(f"{self.seed}:{call.contact_id}:{call.phone_number}:{call.attempt}")
        status = rng.choices(list(self.weights), weights=list(self.weights.values()))[0]
        duration = round(rng.uniform(*DURATIONS[status]), 3)
        return Outcome(status, now + timedelta(seconds=duration / self.time_scale), duration)

    def _forget_unpolled(self, now: datetime) -> None:
        """Drop calls that ended long ago and were never asked for: their rows are gone (`hub
        reset` deleted them), since the dispatcher asks for every call it has, every round."""
        if self._purged_at is not None and now - self._purged_at < FORGET_AFTER / 60:
            return
        self._purged_at = now
        self._calls = {k: v for k, v in self._calls.items() if v.ended_at > now - FORGET_AFTER}

    def ends_at(self, session_id: str, now: datetime) -> datetime | None:
        outcome = self._calls.get(session_id)
        return now if outcome is None else outcome.ended_at  # unknown: the next round settles it

    def known_end(self, session_id: str) -> datetime | None:
        outcome = self._calls.get(session_id)
        return None if outcome is None else outcome.ended_at

    def poll(self, session_id: str, now: datetime) -> Outcome | None:
        outcome = self._calls.get(session_id)
        if outcome is None:
            raise UnknownSession(session_id)
        if outcome.ended_at > now:
            return None
        return outcome

    def forget(self, session_ids: list[str]) -> None:
        for session_id in session_ids:
            self._calls.pop(session_id, None)


def parse_weights(text: str) -> dict[str, float]:
    """`completed=0.6,no_answer=0.2,...` as weights; ValueError names what is wrong."""
    weights: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if name not in OUTCOMES:
            raise ValueError(f"unknown outcome {name!r} (known: {', '.join(OUTCOMES)})")
        weights[name] = float(value)
    if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    return weights
