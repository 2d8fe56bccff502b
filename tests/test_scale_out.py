"""The kill test: three replicas of `hub serve` on one PostgreSQL, a dozen accounts with several
campaigns each, retries, caps and a per-minute call limit; creates and starts through one replica,
an event stream on another, and one replica SIGKILLed mid-run. Then everything is checked from
the simulated carrier's own record of what it dialled (`sim_calls`), not from the hub's view.

A control run with the account lock disabled (and every replica rounding every account, as if
every lease overlapped) must fail the cap check: the oracle is shown able to fail."""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from kataven_hub import auth, clock
from kataven_hub.campaigns.limits import ALL_LIMITS, set_limits
from kataven_hub.storage import open_backend
from support import postgres, servers
from support.servers import serving
from tests.conftest import AGENT, NUMBER_ID

pytestmark = [pytest.mark.live, pytest.mark.pg]

ACCOUNTS, CAMPAIGNS, CONTACTS = 12, 2, 30
CAP, ACCOUNT_CAP, RETRIES = 3, 4, 2
"""Two campaigns of 3 start within an account's budget of 6, which the operator then lowers to 4
(`hub limits`): the account's cap binds below the campaigns' sum."""
LIMITED, PER_MINUTE = "acct-00", 8
TIME_SCALE = 120.0
PEPPER = "scale-out"
ENV = {
    "HUB_PEPPER": PEPPER, "HUB_DISPATCH_INTERVAL": "0.1", "HUB_EVENTS_INTERVAL": "0.2",
    "HUB_SIM_OUTCOMES": "completed=0.4,no_answer=0.1,busy=0.3,failed=0.2",
}  # fmt: skip


@dataclass
class Run:
    url: str
    bases: list[str]
    keys: dict[str, str]
    campaigns: dict[str, list[str]] = field(default_factory=dict)
    stream: list[str] = field(default_factory=list)
    dead_pid: int = 0


def start_replicas(stack: ExitStack, tmp: Path, url: str, extra: list[dict[str, str]]) -> list[str]:
    """Three replicas; `extra[i]` is replica i's own environment on top of ENV."""
    bases = []
    for i, own in enumerate(extra):
        data_dir = tmp / f"replica-{i}"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {**ENV, **own, "HUB_DATABASE_URL": url}
        base, _log = stack.enter_context(serving(data_dir, env, "--sim-time-scale", str(TIME_SCALE)))
        bases.append(base)
    return bases


def prepare(url: str) -> dict[str, str]:
    """A key for each account, and room to start two campaigns; no calls yet (a per-minute
    limit of 0)."""
    keys = {}
    with open_backend(Path("unused"), url) as stores:
        for n in range(ACCOUNTS):
            account = f"acct-{n:02d}"
            keys[account] = auth.create_key(stores.system, PEPPER, account=account)[1]
            with stores.account(account) as database:
                set_limits(database, concurrent_max=CAMPAIGNS * CAP, calls_per_minute=0)
    return keys


def open_the_gates(url: str) -> None:
    """The caps the run is checked against: the account's lowered to ACCOUNT_CAP, calls allowed,
    one account at PER_MINUTE calls a minute."""
    with open_backend(Path("unused"), url) as stores:
        for n in range(ACCOUNTS):
            account = f"acct-{n:02d}"
            with stores.account(account) as database:
                per_minute = PER_MINUTE if account == LIMITED else ALL_LIMITS["calls_per_minute"]
                set_limits(database, concurrent_max=ACCOUNT_CAP, calls_per_minute=per_minute)


def create_and_start(run: Run) -> None:
    """Every campaign created and started through replica 0."""
    api = run.bases[0]
    with httpx.Client(timeout=30) as client:
        for n, (account, key) in enumerate(run.keys.items()):
            headers = {"Authorization": f"Bearer {key}"}
            for c in range(CAMPAIGNS):
                first = 2_000_000 + (n * CAMPAIGNS + c) * CONTACTS
                csv = "phone_number\n" + "".join(f"+1415{first + i:07d}\n" for i in range(CONTACTS))
                created = client.post(
                    f"{api}/api/v1/campaigns", headers=headers,
                    data={"name": f"{account}-{c}", "agent_id": AGENT, "phone_number_id": NUMBER_ID,
                          "max_concurrent_calls": str(CAP), "retries_per_contact": str(RETRIES), "retry_delay_seconds": "60"},
                    files={"contacts": ("c.csv", csv.encode(), "text/csv")},
                )  # fmt: skip
                assert created.status_code == 201, created.text
                run.campaigns.setdefault(account, []).append(created.json()["id"])
        for account, ids in run.campaigns.items():
            for campaign_id in ids:
                started = client.post(f"{api}/api/v1/campaigns/{campaign_id}/start", headers={"Authorization": f"Bearer {run.keys[account]}"})
                assert started.status_code == 200, started.text


def watch(run: Run, base: str) -> threading.Thread:
    """The event stream of the first account's first campaign, on another replica."""
    account = next(iter(run.keys))

    def follow() -> None:
        with httpx.stream("GET", f"{base}/api/v1/campaigns/{run.campaigns[account][0]}/events",
                          headers={"Authorization": f"Bearer {run.keys[account]}"}, timeout=120) as response:  # fmt: skip
            run.stream.extend(response.iter_lines())

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    return thread


def wait_until_completed(run: Run, base: str, seconds: float = 150) -> None:
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=30) as client:
        for account, ids in run.campaigns.items():
            for campaign_id in ids:
                while True:
                    got = client.get(f"{base}/api/v1/campaigns/{campaign_id}", headers={"Authorization": f"Bearer {run.keys[account]}"})
                    assert got.status_code == 200, got.text
                    if got.json()["status"] == "completed":
                        break
                    assert time.monotonic() < deadline, f"campaign {campaign_id} is still {got.json()['status']}"
                    time.sleep(0.3)


def scenario(tmp: Path, cluster: postgres.Cluster, extra: list[dict[str, str]],
             kill: Callable[[Run], None] | None = None) -> Run:  # fmt: skip
    url = cluster.create_database(template=postgres.TEMPLATE)
    keys = prepare(url)
    with ExitStack() as stack:
        run = Run(url, start_replicas(stack, tmp, url, extra), keys)
        create_and_start(run)
        stream = watch(run, run.bases[1])
        open_the_gates(url)
        if kill is not None:
            kill(run)
        wait_until_completed(run, run.bases[0])
        stream.join(30)
    return run


# --- the oracle: the carrier's record -----------------------------------------------------------


@dataclass
class Record:
    dials: list[tuple[str, str, int, int, datetime, datetime]]  # account, campaign, contact, attempt, from, to
    contacts: list[tuple[str, str, int, str, int]]  # account, campaign, contact, status, attempts
    lost: dict[tuple[str, int], int]  # attempts the hub settled as lost (no dial), by (account, contact)
    caps: dict[str, int]


def record(url: str) -> Record:
    with psycopg.connect(url) as conn:
        dials = [(a, c, n, t, clock.parse(d), clock.parse(e)) for a, c, n, t, d, e in conn.execute(
            "SELECT account, campaign_id, contact_id, attempt, dialled_at, ends_at FROM sim_calls")]  # fmt: skip
        contacts = conn.execute("SELECT account, campaign_id, id, status, attempts FROM contacts").fetchall()
        lost = {(a, n): int(k) for a, n, k in conn.execute(
            "SELECT account, contact_id, count(*) FROM calls WHERE NOT EXISTS"
            " (SELECT 1 FROM sim_calls s WHERE s.session_id = calls.session_id) GROUP BY 1, 2")}  # fmt: skip
        caps = dict(conn.execute("SELECT id, max_concurrent_calls FROM campaigns").fetchall())
    return Record(dials, contacts, lost, caps)


def peak(intervals: list[tuple[datetime, datetime]]) -> int:
    """The most intervals open at once (an end and a start at one moment do not overlap)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals], key=lambda e: (e[0], e[1]))
    most = now = 0
    for _at, step in events:
        now += step
        most = max(most, now)
    return most


def cap_violations(found: Record) -> list[str]:
    by_campaign, by_account = defaultdict(list), defaultdict(list)
    for account, campaign, _n, _t, start, end in found.dials:
        by_campaign[campaign].append((start, end))
        by_account[account].append((start, end))
    wrong = [f"campaign {c}: {peak(v)} calls at once, cap {found.caps[c]}" for c, v in by_campaign.items() if peak(v) > found.caps[c]]
    wrong += [f"account {a}: {peak(v)} calls at once, cap {ACCOUNT_CAP}" for a, v in by_account.items() if peak(v) > ACCOUNT_CAP]
    return wrong


def check(run: Run, *, stream: bool = True) -> Record:
    found = record(run.url)
    assert len(found.contacts) == ACCOUNTS * CAMPAIGNS * CONTACTS
    dials_of: dict[tuple[str, int], list[tuple[datetime, datetime]]] = defaultdict(list)
    for account, _c, contact, _t, start, end in found.dials:
        dials_of[(account, contact)].append((start, end))
    for account, _campaign, contact, status, attempts in found.contacts:
        # every contact terminal; its attempts are the carrier's dials and the lost ones, within the rule
        assert status in ("completed", "no_answer", "busy", "failed"), (account, contact, status)
        made = len(dials_of[(account, contact)]) + found.lost.get((account, contact), 0)
        assert attempts == made <= RETRIES + 1, (account, contact, attempts, made)
        # never in two calls at once
        assert peak(dials_of[(account, contact)]) <= 1, (account, contact)
    assert cap_violations(found) == []
    # calls started in any minute of campaign time, within the per-minute limit
    window = timedelta(seconds=60 / TIME_SCALE)
    starts = sorted(start for account, *_rest, start, _end in found.dials if account == LIMITED)
    assert starts, "the limited account placed calls"
    for i in range(len(starts) - PER_MINUTE):
        assert starts[i + PER_MINUTE] - starts[i] >= window, f"{PER_MINUTE + 1} calls started within a minute at {starts[i]}"
    if stream:
        check_stream(run)
    return found


def check_stream(run: Run) -> None:
    """The stream on another replica: monotone, ending with its end event."""
    frames = [json.loads(line[6:]) for line in run.stream if line.startswith("data: ")]
    assert [line for line in run.stream if line][-2] == "event: end"
    settled = [sum(v for k, v in f["counts"].items() if k not in ("pending", "dialing")) for f in frames]
    assert settled == sorted(settled) and [f["attempts"] for f in frames] == sorted(f["attempts"] for f in frames)
    assert frames[-1]["status"] == "completed" and settled[-1] == CONTACTS


@pytest.fixture
def cluster(pg_cluster: postgres.Cluster) -> postgres.Cluster:
    return pg_cluster


def test_a_replica_killed_at_a_random_moment(tmp_path: Path, cluster: postgres.Cluster) -> None:
    def kill(run: Run) -> None:
        time.sleep(random.uniform(1.0, 4.0))
        victim = servers.PROCESSES[run.bases[2]]
        run.dead_pid = victim.pid
        victim.send_signal(signal.SIGKILL)

    run = scenario(tmp_path, cluster, [{}, {}, {}], kill)
    found = check(run)
    assert len(found.dials) > ACCOUNTS * CAMPAIGNS * CONTACTS  # retries happened


def test_a_replica_killed_after_a_round_commits_and_before_it_dials(tmp_path: Path, cluster: postgres.Cluster) -> None:
    def crashed(run: Run) -> None:
        victim = servers.PROCESSES[run.bases[2]]
        assert victim.wait(timeout=60) == 70  # it crashed itself at the switch
        run.dead_pid = victim.pid

    run = scenario(tmp_path, cluster, [{}, {}, {"HUB_TEST_CRASH_AFTER_COMMIT": "3"}], crashed)
    found = check(run)
    assert found.lost, "the attempts the dead replica recorded and never dialled were settled by the others"


def test_the_account_lock_alone_keeps_the_caps_when_every_replica_rounds_every_account(tmp_path: Path, cluster: postgres.Cluster) -> None:
    check(scenario(tmp_path, cluster, [{"HUB_TEST_IGNORE_LEASES": "1"}] * 3))


def test_control_without_the_account_lock_the_cap_check_fails(tmp_path: Path, cluster: postgres.Cluster) -> None:
    unsafe = {"HUB_TEST_IGNORE_LEASES": "1", "HUB_TEST_NO_ACCOUNT_LOCK": "1"}
    run = scenario(tmp_path, cluster, [unsafe] * 3)
    assert cap_violations(record(run.url)), "without the lock the replicas overran a cap: the oracle can fail"


def test_the_only_replica_killed_then_started_again(tmp_path: Path, cluster: postgres.Cluster) -> None:
    """The calls it had placed go on (the carrier's record is shared) and are settled by the
    replica started after it; what it recorded and never dialled is settled as lost."""
    url = cluster.create_database(template=postgres.TEMPLATE)
    run = Run(url, [], prepare(url))
    with ExitStack() as first:
        run.bases = start_replicas(first, tmp_path / "first", url, [{}])
        create_and_start(run)
        open_the_gates(url)
        time.sleep(random.uniform(1.0, 3.0))
        servers.PROCESSES[run.bases[0]].send_signal(signal.SIGKILL)
    with psycopg.connect(url) as conn:
        in_flight = conn.execute("SELECT count(*) FROM calls WHERE ended_at IS NULL").fetchone()[0]  # type: ignore[index]
    assert in_flight > 0, "calls were in flight at the kill"
    with ExitStack() as second:
        run.bases = start_replicas(second, tmp_path / "second", url, [{}])
        wait_until_completed(run, run.bases[0])
    check(run, stream=False)
