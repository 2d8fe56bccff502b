"""Demo data: an account with campaigns in every status, reached through the domain functions the
API calls (create, start, pause, stop) and a dispatcher driven on a clock of its own; no status
is ever written by hand, so demo data obeys every rule real data does. Deterministic for a seed:
campaign ids, contacts and outcomes (not the timestamps, which follow the clock)."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kataven_hub import campaigns, clock
from kataven_hub.campaigns import Status
from kataven_hub.campaigns.numbers import normalize_number
from kataven_hub.dispatch.dialer import UNREGISTERED_NUMBER, SimulatedCarrier
from kataven_hub.dispatch.round import run_round
from kataven_hub.storage import Backend, Database

PREFIX = "Demo · "
"""Every demo campaign's name starts so: how a second run knows the account has them already."""
AGENT = "3f1c2b9e-8d4a-4f6e-9b7a-2c5d8e1f0a34"
NUMBER_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
OUTCOMES = ("completed", "no_answer", "busy", "failed")
STEP = timedelta(seconds=5)
FIRST = ("Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Radia", "Edsger")
LAST = ("Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson")
# (country calling code, national digits to draw, plan, language) for numbers from several countries
COUNTRIES = (("1", "415555", 4, "en"), ("44", "2079460", 3, "en"), ("49", "30", 8, "de"), ("33", "14268", 4, "fr"),
             ("61", "29374", 4, "en"))  # fmt: skip
PLANS = ("basic", "gold", "platinum")


def fill(stores: Backend, account: str, *, seed: int = 0, now: datetime | None = None) -> list[dict[str, Any]]:
    """Add the demo campaigns to an account; nothing if it has them already. The campaigns made."""
    with stores.account(account) as database:
        return fill_in(database, seed=seed, now=now)


def fill_in(database: Database, *, seed: int = 0, now: datetime | None = None) -> list[dict[str, Any]]:
    """`fill`, in an account's database already open."""
    if any(c["name"].startswith(PREFIX) for c in campaigns.list_campaigns(database)["campaigns"]):
        return []
    now = now or clock.now()
    rng = random.Random(seed)
    drive = _driver(database, seed)
    past = now - timedelta(hours=2)
    made = []

    done = _create(database, rng, "Spring renewals", 80, past, max_concurrent_calls=5)
    at = drive(done, past, until=lambda s: all(s["counts"][o] for o in OUTCOMES) or not s["counts"]["pending"])
    made.append(campaigns.stop_campaign(database, done["id"], now=at))  # the contacts not yet called: skipped
    drive(done, at, until=lambda s: s["in_flight"] == 0)

    paused = _create(database, rng, "Win-back, part called", 60, past + timedelta(minutes=30), max_concurrent_calls=4)
    at = drive(paused, past + timedelta(minutes=30), until=lambda s: s["attempts"] >= 12)
    made.append(campaigns.pause_campaign(database, paused["id"], now=at))
    drive(paused, at, until=lambda s: s["in_flight"] == 0)

    refused = _create(database, rng, "Unregistered number", 20, past + timedelta(hours=1), phone_number_id=UNREGISTERED_NUMBER)
    dispatch_log = logging.getLogger("kataven_hub.dispatch.loop")
    level = dispatch_log.level
    dispatch_log.setLevel(logging.ERROR)  # the carrier's refusal is the point here, not news
    try:
        drive(refused, past + timedelta(hours=1), until=lambda s: s["status"] == Status.FAILED)
    finally:
        dispatch_log.setLevel(level)
    made.append(campaigns.get_campaign(database, refused["id"]))

    made.append(_create(database, rng, "Draft, not started", 25, now))
    ahead = clock.iso(now + timedelta(days=1))
    scheduled = _create(database, rng, "Tomorrow morning", 30, now, scheduled_at=ahead, max_concurrent_calls=2)
    made.append(campaigns.start_campaign(database, scheduled["id"], now=now))
    running = _create(database, rng, "Live now", 1500, now, max_concurrent_calls=3, retries_per_contact=1)
    made.append(campaigns.start_campaign(database, running["id"], now=now))  # the server's dispatcher dials it
    return made


def _driver(database: Database, seed: int) -> Callable[..., datetime]:
    """Run one campaign's dispatch on a clock of its own, from `start` until `until(snapshot)`."""
    carrier = SimulatedCarrier(seed=seed)

    def drive(campaign: dict[str, Any], start: datetime, until: Callable[[dict[str, Any]], bool]) -> datetime:
        if campaigns.get_campaign(database, campaign["id"])["status"] == Status.DRAFT:
            campaigns.start_campaign(database, campaign["id"], now=start)
        at = start
        for _ in range(2_000):  # at most three hours of campaign time
            if until(campaigns.snapshot(database, campaign["id"], now=at)):
                break
            at += STEP
            run_round(database, carrier, at, wait=True)
        return at

    return drive


def _create(database: Database, rng: random.Random, name: str, size: int, now: datetime, **form: Any) -> dict[str, Any]:
    defaults = {"agent_id": AGENT, "phone_number_id": NUMBER_ID, "name": PREFIX + name}
    campaign_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return campaigns.create_campaign(
        database, {**defaults, **form}, contacts_csv(rng, size), created_by="demo", region="US", now=now, campaign_id=campaign_id
    )


def contacts_csv(rng: random.Random, size: int) -> bytes:
    """Real-looking contacts: names, valid numbers from several countries, a plan and a language."""
    lines = ["phone_number,first_name,last_name,plan,language"]
    while len(lines) <= size:
        code, prefix, digits, language = rng.choice(COUNTRIES)
        number = f"+{code}{prefix}{rng.randrange(10**digits):0{digits}d}"
        if normalize_number(number, "US") is not None:
            lines.append(f"{number},{rng.choice(FIRST)},{rng.choice(LAST)},{rng.choice(PLANS)},{language}")
    return ("\n".join(lines) + "\n").encode()
