"""The dispatcher, ticked with a fixed clock against a scripted dialer."""

from __future__ import annotations

import contextlib
import dataclasses
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kataven_hub import campaigns
from kataven_hub.campaigns import limits
from kataven_hub.dispatch.dialer import Call, CampaignRejected, OneByOne, Outcome, SimulatedCarrier, UnknownSession
from kataven_hub.dispatch.loop import Dispatcher
from kataven_hub.storage import open_backend
from tests.conftest import AGENT, NUMBER_ID
from tests.helpers import T0

BACKENDS = ("sqlite", "postgres")
"""Each test that uses `backend` runs on both storage drivers (`tests.conftest`)."""


@dataclasses.dataclass
class Dial:
    call: Call
    at: datetime
    ends: datetime
    status: str


class ScriptedDialer(OneByOne):
    """Outcomes scripted per number and attempt; records every dial and checks the caps live."""

    def __init__(self, script: dict[str, list[tuple[str, float]]], caps: dict[str, int] | None = None) -> None:
        self.script = script
        self.caps = caps or {}
        self.dials: list[Dial] = []
        self.open: dict[str, Dial] = {}
        self.peak: dict[str, int] = defaultdict(int)
        self.reject: set[str] = set()

    def dial(self, call: Call, now: datetime) -> None:
        if call.phone_number_id in self.reject:
            raise CampaignRejected("not registered")
        plan = self.script.get(call.phone_number, [("completed", 10.0)])
        status, seconds = plan[min(call.attempt - 1, len(plan) - 1)]
        record = Dial(call, now, now + timedelta(seconds=seconds), status)
        self.dials.append(record)
        self.open[call.session_id] = record
        by_campaign = sum(1 for d in self.open.values() if d.call.campaign_id == call.campaign_id)
        self.peak[call.campaign_id] = max(self.peak[call.campaign_id], by_campaign)
        self.peak["account"] = max(self.peak["account"], len(self.open))

    def poll(self, session_id: str, now: datetime) -> Outcome | None:
        record = self.open.get(session_id)
        if record is None:
            raise UnknownSession(session_id)
        if record.ends > now:
            return None
        return Outcome(record.status, record.ends, (record.ends - record.at).total_seconds())

    def forget(self, session_ids: list[str]) -> None:
        for session_id in session_ids:
            self.open.pop(session_id, None)

    def known_end(self, session_id: str) -> datetime | None:
        """Said, so that on PostgreSQL every test here also runs with quiet accounts left alone."""
        record = self.open.get(session_id)
        return None if record is None else record.ends

    def attempts(self, number: str) -> list[Dial]:
        return [d for d in self.dials if d.call.phone_number == number]


class World:
    def __init__(self, data_dir: Path, dialer: Any, time_scale: float = 1.0, database_url: str = "") -> None:
        self.stores = open_backend(data_dir, database_url)
        self.db = contextlib.ExitStack().enter_context(self.stores.account("acme"))  # held for the world's life
        self.dialer = dialer
        self.dispatcher = Dispatcher(self.stores, dialer, time_scale=time_scale)
        self.now = T0

    def campaign(self, numbers: list[str], start: bool = True, **form: Any) -> str:
        csv = ("phone_number\n" + "\n".join(numbers) + "\n").encode()
        fields = {"name": "t", "agent_id": AGENT, "phone_number_id": NUMBER_ID, **form}
        created = campaigns.create_campaign(self.db, fields, csv, created_by="t", region="US", now=self.now - timedelta(hours=1))
        if start:
            campaigns.start_campaign(self.db, created["id"], now=self.now)
        return str(created["id"])

    def tick(self, seconds: float = 1.0, times: int = 1) -> None:
        for _ in range(times):
            self.dispatcher.tick(self.now)
            self.now += timedelta(seconds=seconds)

    def status(self, campaign_id: str) -> str:
        return str(campaigns.get_campaign(self.db, campaign_id)["status"])

    def contacts(self, campaign_id: str) -> list[dict[str, Any]]:
        return campaigns.list_contacts(self.db, campaign_id, None, 0)["contacts"]

    def run_until_done(self, campaign_ids: list[str], max_ticks: int = 5000, step: float = 1.0) -> None:
        for _ in range(max_ticks):
            if all(self.status(c) in campaigns.TERMINAL for c in campaign_ids):
                return
            self.tick(step)
        raise AssertionError("campaigns did not finish")


def numbers(n: int, start: int = 2000000) -> list[str]:
    return [f"+1415{start + i:07d}" for i in range(n)]


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> World:
    return World(tmp_path, ScriptedDialer({}), database_url=database_url)


def test_a_campaign_dials_everyone_and_completes(world: World) -> None:
    campaign_id = world.campaign(numbers(12), max_concurrent_calls=5)
    world.run_until_done([campaign_id])
    assert {c["status"] for c in world.contacts(campaign_id)} == {"completed"}
    assert len(world.dialer.dials) == 12
    assert world.dialer.peak[campaign_id] == 5
    campaign = campaigns.get_campaign(world.db, campaign_id)
    assert campaign["completed_at"] >= campaign["started_at"]


def test_retries_wait_the_delay_and_stop_at_the_limit(world: World) -> None:
    [number] = numbers(1)
    world.dialer.script[number] = [("busy", 5.0), ("no_answer", 30.0), ("failed", 2.0)]
    campaign_id = world.campaign([number], retries_per_contact=2, retry_delay_seconds=60)
    world.run_until_done([campaign_id])
    dials = world.dialer.attempts(number)
    assert [d.status for d in dials] == ["busy", "no_answer", "failed"]
    for before, after in zip(dials, dials[1:]):
        assert after.at >= before.ends + timedelta(seconds=60)
    [contact] = world.contacts(campaign_id)
    assert (contact["status"], contact["attempts"], contact["last_outcome"]) == ("failed", 3, "failed")


def test_completed_is_final(world: World) -> None:
    [number] = numbers(1)
    world.dialer.script[number] = [("no_answer", 5.0), ("completed", 5.0), ("busy", 5.0)]
    campaign_id = world.campaign([number], retries_per_contact=5, retry_delay_seconds=60)
    world.run_until_done([campaign_id])
    assert len(world.dialer.attempts(number)) == 2
    assert world.contacts(campaign_id)[0]["status"] == "completed"


def test_a_contact_awaiting_retry_is_pending_with_its_due_time(world: World) -> None:
    [number] = numbers(1)
    world.dialer.script[number] = [("busy", 5.0), ("completed", 5.0)]
    campaign_id = world.campaign([number], retries_per_contact=1, retry_delay_seconds=120)
    world.tick(times=10)
    [contact] = world.contacts(campaign_id)
    assert contact["status"] == "pending" and contact["last_outcome"] == "busy"
    assert contact["next_attempt_at"] == "2030-01-01T00:02:05.000Z"
    assert world.status(campaign_id) == "running"


def test_time_scale_shrinks_call_and_retry_time(tmp_path: Path, database_url: str) -> None:
    [number] = numbers(1)
    world = World(tmp_path, ScriptedDialer({number: [("busy", 1.0), ("completed", 1.0)]}), time_scale=60,
                  database_url=database_url)
    campaign_id = world.campaign([number], retries_per_contact=1, retry_delay_seconds=600)
    world.run_until_done([campaign_id], step=0.5)
    first, second = world.dialer.attempts(number)
    assert timedelta(seconds=10) <= second.at - first.ends <= timedelta(seconds=11)


def test_pause_stops_new_calls_and_in_flight_calls_finish(world: World) -> None:
    campaign_id = world.campaign(numbers(6), max_concurrent_calls=2)
    world.tick()
    assert len(world.dialer.dials) == 2
    campaigns.pause_campaign(world.db, campaign_id, now=world.now)
    world.tick(times=30)
    assert len(world.dialer.dials) == 2
    statuses = [c["status"] for c in world.contacts(campaign_id)]
    assert statuses.count("completed") == 2 and statuses.count("pending") == 4
    campaigns.resume_campaign(world.db, campaign_id, now=world.now)
    world.run_until_done([campaign_id])
    assert len(world.dialer.dials) == 6


def test_stop_skips_pending_and_lets_calls_in_flight_record_their_outcome(world: World) -> None:
    script = {n: [("no_answer", 20.0)] for n in numbers(4)}
    world.dialer.script.update(script)
    campaign_id = world.campaign(numbers(4), max_concurrent_calls=1, retries_per_contact=3)
    world.tick()
    campaigns.stop_campaign(world.db, campaign_id, now=world.now)
    world.tick(times=40)
    statuses = sorted(c["status"] for c in world.contacts(campaign_id))
    assert statuses == ["no_answer", "skipped", "skipped", "skipped"]  # no retry after stop
    assert len(world.dialer.dials) == 1
    assert world.status(campaign_id) == "completed"


def test_a_scheduled_campaign_starts_when_its_time_comes(world: World) -> None:
    at = (T0 + timedelta(seconds=30)).isoformat()
    campaign_id = world.campaign(numbers(2), scheduled_at=at)
    assert world.status(campaign_id) == "scheduled"
    world.tick(times=29)
    assert world.dialer.dials == []
    world.tick(times=2)
    assert world.status(campaign_id) == "running" and len(world.dialer.dials) == 2
    assert campaigns.get_campaign(world.db, campaign_id)["started_at"] == "2030-01-01T00:00:30.000Z"


def test_the_account_cap_holds_across_campaigns(world: World) -> None:
    limits.set_limits(world.db, concurrent_max=3)
    first = world.campaign(numbers(5), max_concurrent_calls=2)
    second = world.campaign(numbers(5, start=3000000), max_concurrent_calls=1)
    world.run_until_done([first, second])
    assert world.dialer.peak["account"] == 3 and world.dialer.peak[first] == 2 and world.dialer.peak[second] == 1


def test_calls_per_minute_waits_without_spending_attempts(world: World) -> None:
    limits.set_limits(world.db, calls_per_minute=2)
    campaign_id = world.campaign(numbers(5), max_concurrent_calls=5)
    world.tick(times=59)
    assert len(world.dialer.dials) == 2
    world.run_until_done([campaign_id])
    assert all(c["attempts"] == 1 for c in world.contacts(campaign_id))
    starts = sorted(d.at for d in world.dialer.dials)
    for i in range(len(starts) - 2):
        assert starts[i + 2] - starts[i] >= timedelta(seconds=60)


@pytest.mark.parametrize("limit", ["concurrent_max", "calls_per_minute", "daily_calls_max", "daily_minutes_max"])
def test_zero_blocks_that_dimension(world: World, limit: str) -> None:
    if limit == "concurrent_max":  # start itself would refuse: block after starting
        campaign_id = world.campaign(numbers(2))
        limits.set_limits(world.db, concurrent_max=0)
    else:
        limits.set_limits(world.db, **{limit: 0})
        campaign_id = world.campaign(numbers(2))
    world.tick(times=100)
    assert world.dialer.dials == []
    assert all(c["attempts"] == 0 and c["status"] == "pending" for c in world.contacts(campaign_id))


def test_daily_calls_cap(world: World) -> None:
    limits.set_limits(world.db, daily_calls_max=3)
    campaign_id = world.campaign(numbers(5))
    world.tick(times=600)
    assert len(world.dialer.dials) == 3
    assert world.status(campaign_id) == "running"


def test_daily_minutes_cap(world: World) -> None:
    limits.set_limits(world.db, daily_minutes_max=1)
    world.dialer.script.update({n: [("completed", 40.0)] for n in numbers(4)})
    world.campaign(numbers(4), max_concurrent_calls=1)
    world.tick(times=300)
    assert len(world.dialer.dials) == 2  # 40 s + 40 s passes 60 s; a third call must wait a day


def test_a_carrier_rejection_fails_the_campaign(world: World) -> None:
    world.dialer.reject.add(NUMBER_ID)
    campaign_id = world.campaign(numbers(3), max_concurrent_calls=1)
    world.tick(times=3)
    assert world.status(campaign_id) == "failed"
    statuses = sorted(c["status"] for c in world.contacts(campaign_id))
    assert statuses == ["failed", "skipped", "skipped"]
    assert "completed_at" in campaigns.get_campaign(world.db, campaign_id)


def test_after_a_restart_a_call_lost_in_flight_counts_as_failed_and_is_retried(tmp_path: Path, database_url: str) -> None:
    [number] = numbers(1)
    before = World(tmp_path, ScriptedDialer({number: [("completed", 30.0)]}), database_url=database_url)
    campaign_id = before.campaign([number], retries_per_contact=1, retry_delay_seconds=60)
    before.tick()
    assert before.contacts(campaign_id)[0]["status"] == "dialing"
    before.stores.close()
    after = World(tmp_path, ScriptedDialer({number: [("completed", 30.0)]}), database_url=database_url)  # a new process
    after.now = before.now
    after.tick()
    [contact] = after.contacts(campaign_id)
    assert (contact["status"], contact["last_outcome"], contact["attempts"]) == ("pending", "failed", 1)
    after.run_until_done([campaign_id])
    [contact] = after.contacts(campaign_id)
    assert (contact["status"], contact["attempts"]) == ("completed", 2)


@pytest.mark.backends("postgres")
def test_an_account_with_no_room_is_left_alone_until_a_call_ends_or_it_is_marked(tmp_path: Path, database_url: str) -> None:
    """On PostgreSQL (on SQLite every account with work is rounded every time): an account whose
    campaigns are all at their caps is not rounded again before its first call ends (10 s here),
    unless a campaign is started or a limit changed meanwhile."""
    world = World(tmp_path, ScriptedDialer({}), database_url=database_url)
    rounds: list[datetime] = []
    real = world.dispatcher.tick_accounts

    def counted(accounts: list[str], now: datetime) -> Any:
        rounds.append(now)
        return real(accounts, now)

    world.dispatcher.tick_accounts = counted  # type: ignore[method-assign]
    world.campaign(numbers(4), max_concurrent_calls=2)
    world.tick(times=6)  # T0: two calls placed, ending at T0 + 10 s; then nothing can change
    assert rounds == [T0]
    world.campaign(numbers(2, start=3000000), max_concurrent_calls=1)  # started: marked
    world.tick(times=2)
    assert rounds == [T0, T0 + timedelta(seconds=6)] and len(world.dialer.dials) == 3
    limits.set_limits(world.db, calls_per_minute=1000)  # marked
    world.tick(times=2)
    assert rounds[2:] == [T0 + timedelta(seconds=8)]
    world.tick()  # T0 + 10 s: the first two calls end
    assert rounds[3:] == [T0 + timedelta(seconds=10)] and len(world.dialer.dials) == 5


class BrokenIn(ScriptedDialer):
    """Fails to poll the calls of one account, as a bug met in one account's round would."""

    def __init__(self, account: str) -> None:
        super().__init__({})
        self.account = account

    def poll(self, session_id: str, now: datetime) -> Outcome | None:
        if session_id in self.open and self.open[session_id].call.account == self.account:
            raise RuntimeError("broken")
        return super().poll(session_id, now)


@pytest.mark.backends("postgres")
def test_accounts_rounded_together_skip_a_busy_one_and_go_on_without_a_broken_one(tmp_path: Path, database_url: str) -> None:
    """On PostgreSQL the accounts of a round share one transaction (`Backend.write_many`): one
    whose lock another writer holds is left for the next round, and when the round fails in one
    account, it is done again one account at a time, so that only the broken one stops."""
    dialer = BrokenIn("broken")
    with open_backend(tmp_path, database_url) as stores:
        for account in ("a", "b", "busy", "broken"):
            with stores.account(account) as database:
                csv = ("phone_number\n" + "\n".join(numbers(2)) + "\n").encode()
                form = {"name": "t", "agent_id": AGENT, "phone_number_id": NUMBER_ID, "max_concurrent_calls": 1}
                made = campaigns.create_campaign(database, form, csv, created_by="t", region="US", now=T0)
                campaigns.start_campaign(database, made["id"], now=T0)
        dispatcher = Dispatcher(stores, dialer)
        with stores.account("busy") as database, database.write():
            dispatcher.tick(T0)
        assert sorted(d.call.account for d in dialer.dials) == ["a", "b", "broken"]
        dispatcher.tick(T0 + timedelta(seconds=10))  # the first calls ended; polling them fails in "broken"
        assert sorted(d.call.account for d in dialer.dials) == ["a", "a", "b", "b", "broken", "busy"]
        with stores.account("broken") as database, database.read() as conn:
            assert len(conn.calls_in_flight()) == 1  # nothing of its failed round was kept
        with stores.account("a") as database, database.read() as conn:
            assert len(conn.calls_in_flight()) == 1


def test_the_simulated_carrier_is_seeded_and_scaled() -> None:
    call = Call("s", "c", 1, 1, "+14155552671", AGENT, NUMBER_ID, {})
    one, two = SimulatedCarrier(seed=7, time_scale=60), SimulatedCarrier(seed=7, time_scale=60)
    one.dial(call, T0)
    two.dial(call, T0)
    assert one._calls == two._calls
    outcome = one._calls["s"]
    assert outcome.ended_at - T0 == timedelta(seconds=outcome.duration_seconds / 60)
    assert one.poll("s", T0) is None
    assert one.poll("s", outcome.ended_at) == outcome
    assert one.poll("s", outcome.ended_at) == outcome  # kept until the round that settles it commits
    one.forget(["s"])
    with pytest.raises(UnknownSession):
        one.poll("s", outcome.ended_at)
    with pytest.raises(CampaignRejected):
        one.dial(dataclasses.replace(call, phone_number_id="00000000-0000-0000-0000-000000000000"), T0)


# --- properties -----------------------------------------------------------------------------

OUTCOME = st.sampled_from(["completed", "no_answer", "busy", "failed"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    data=st.data(),
    concurrent_max=st.integers(1, 6),
    calls_per_minute=st.integers(1, 12),
    caps=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    retries=st.integers(0, 3),
    contacts=st.integers(1, 10),
)
def test_dispatch_invariants(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str], data: st.DataObject, concurrent_max: int,
    calls_per_minute: int, caps: list[int], retries: int, contacts: int,
) -> None:  # fmt: skip
    script = {
        number: data.draw(st.lists(st.tuples(OUTCOME, st.floats(1, 120)), min_size=retries + 1, max_size=retries + 1))
        for number in numbers(contacts * len(caps))
    }
    world = World(tmp_path_factory.mktemp("dispatch"), ScriptedDialer(script), database_url=new_database())
    limits.set_limits(world.db, concurrent_max=concurrent_max, calls_per_minute=calls_per_minute)
    ids = [
        world.campaign(numbers(contacts, start=2000000 + n * contacts), max_concurrent_calls=cap,
                       retries_per_contact=retries, retry_delay_seconds=60)
        if sum(caps[: n + 1]) <= concurrent_max else world.campaign(numbers(contacts, start=2000000 + n * contacts), start=False)
        for n, cap in enumerate(caps)
    ]  # fmt: skip
    started = [i for i in ids if world.status(i) == "running"]
    world.run_until_done(started, step=2.0)

    assert world.dialer.peak["account"] <= concurrent_max
    for campaign_id, cap in zip(ids, caps):
        assert world.dialer.peak[campaign_id] <= cap
    starts = sorted(d.at for d in world.dialer.dials)
    for i in range(len(starts) - calls_per_minute):
        assert starts[i + calls_per_minute] - starts[i] >= timedelta(seconds=60)
    for campaign_id in started:
        for contact in world.contacts(campaign_id):
            dials = world.dialer.attempts(contact["phone_number"])
            outcomes = [d.status for d in dials]
            # every attempt the rules allow was made, and no more: limits never spent one
            expected = next((i + 1 for i, o in enumerate(script[contact["phone_number"]]) if o[0] == "completed"), retries + 1)
            assert len(dials) == expected == contact["attempts"] <= retries + 1
            assert contact["status"] == outcomes[-1]
            for before, after in zip(dials, dials[1:]):
                assert after.at >= before.ends + timedelta(seconds=60)
    world.stores.close()
