"""The targets of issue 9: many accounts on one machine, many calls in flight, memory flat in the
number of concurrent uploads. Each a figure and its baseline from the same run."""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import threading
import time
from pathlib import Path

import httpx

from bench.data import contacts_csv
from bench.harness import AGENT, BIN, CLIENT_CORES, CORES, NUMBER_ID, SERVER_CORES, Config, Result, Server, p99
from kataven_hub import auth, campaigns, clock
from kataven_hub.campaigns.limits import set_limits
from kataven_hub.dispatch.dialer import SimulatedCarrier
from kataven_hub.dispatch.loop import Dispatcher
from kataven_hub.storage import Stores

PEPPER = "bench"
CAMPAIGN_ID = "00000000-0000-4000-8000-000000000001"
"""Every copied account holds this one draft campaign."""
IN_FLIGHT_INTERVAL = 0.25
"""Seconds between dispatch rounds for target 10. At the default 0.1 s, a round over 2,000 calls
at time scale 60 takes about as long as the interval (calls end faster than 0.1 s apart)."""
FORM = {"name": "bench", "agent_id": AGENT, "phone_number_id": NUMBER_ID}


def _name(n: int) -> str:
    return f"acct{n:05d}"


def populate(data_dir: Path, accounts: int, keyed: range) -> dict[str, str]:
    """A data directory of `accounts` accounts, each with a 10-contact draft (one account's file,
    copied), and API keys for the accounts numbered in `keyed`."""
    with Stores(data_dir) as stores:
        with stores.account("template") as database:
            campaigns.create_campaign(
                database, FORM, contacts_csv(10), created_by="bench", region="US", campaign_id=CAMPAIGN_ID
            )
        keys = {_name(n): auth.create_key(stores.system, PEPPER, account=_name(n))[1] for n in keyed}
    template = data_dir / "accounts" / "template.db"  # closed: its WAL is folded in
    for n in range(accounts):
        shutil.copyfile(template, data_dir / "accounts" / f"{_name(n)}.db")
    template.unlink()
    return keys


def _serve(data_dir: Path, tmp: Path, cores: list[int], open_files: int | None = None, **env: str) -> Server:
    env = {"HUB_PEPPER": PEPPER, "HUB_DATA_DIR": str(data_dir), **env}
    log = tmp / f"{data_dir.name}-{time.monotonic_ns()}.log"
    return Server([str(BIN / "hub"), "serve"], env, cores, log, open_files=open_files)


def idle_cpu(config: Config, tmp: Path) -> Result:
    """7. CPU of an idle server over 10 s with 10,000 accounts against one with 10."""
    many, seconds = (300, 2.0) if config.smoke else (10_000, 10.0)

    def measure(accounts: int) -> float:
        data_dir = tmp / f"idle-{accounts}"
        populate(data_dir, accounts, range(0))
        server = _serve(data_dir, tmp, CORES)
        try:
            time.sleep(1.0)  # past start-up
            before = server.cpu_seconds()
            time.sleep(seconds)
            return (server.cpu_seconds() - before) / seconds * 100
        finally:
            server.stop()

    figure, baseline = measure(many), measure(10)
    apart = figure - baseline
    return Result(
        target="7 idle CPU", figure=figure, baseline=baseline, ratio=apart, goal="≤ +1 pt",
        passed=None if config.smoke else apart <= 1.0, unit="%core",
        detail=f"% of a core over {seconds:g} s, server and workers, {many} accounts vs 10; 'ratio' is the difference"
        " in points",
    )  # fmt: skip


def open_files(config: Config, tmp: Path) -> Result:
    """8. Open files while requests reach 1,000 of 10,000 accounts, under `ulimit -n 1024`."""
    accounts, touched = (300, 100) if config.smoke else (10_000, 1_000)
    data_dir = tmp / f"files-{accounts}"
    keys = populate(data_dir, accounts, range(accounts - touched, accounts))
    limit = 1024
    server = _serve(data_dir, tmp, CORES, open_files=limit)
    bound = int(re.search(r"up to (\d+) account databases", server.log.read_text())[1])  # type: ignore[index]
    peak_files, peak_accounts = [0], [0]
    stop = threading.Event()

    def databases(files: list[str]) -> int:
        return len({f.removesuffix("-wal").removesuffix("-shm") for f in files if "/accounts/" in f})

    def sample() -> None:  # /proc/<pid>/fd is read one entry at a time while files open and close:
        while not stop.is_set():  # of two readings in a row, the lower is a state that existed
            first, second = server.open_files(), server.open_files()
            peak_files[0] = max(peak_files[0], min(len(first), len(second)))
            peak_accounts[0] = max(peak_accounts[0], min(databases(first), databases(second)))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        statuses = asyncio.run(_touch_all(server.base, keys, connections=32))
    finally:
        stop.set()
        sampler.join()
        server.stop()
    answered = statuses.count(200)
    passed = answered == len(keys) and peak_accounts[0] <= bound and peak_files[0] < limit
    return Result(
        target="8 open files", figure=peak_files[0], baseline=limit, ratio=peak_files[0] / limit,
        goal=f"≤ {bound} dbs", passed=None if config.smoke else passed, unit="files",
        detail=f"peak of the server's open files under ulimit -n {limit}, {accounts} accounts, {touched} of them"
        f" each read once by 32 connections: {answered}/{len(keys)} answered 200; at most {peak_accounts[0]} account"
        f" databases open (bound {bound})",
    )  # fmt: skip


async def _touch_all(base: str, keys: dict[str, str], connections: int) -> list[int]:
    queue = list(keys.values())
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker() -> None:
            while queue:
                key = queue.pop()
                response = await client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"})
                statuses.append(response.status_code)

        await asyncio.gather(*(worker() for _ in range(connections)))
    return statuses


def working_set(config: Config, tmp: Path) -> list[Result]:
    """9. GET p50 and p99 over a working set of 50 accounts with 10,000 in the data directory,
    against 10 accounts with 10; the first request to a cold account against a warm one."""
    accounts, rounds = (300, 10) if config.smoke else (10_000, 60)
    big_dir, small_dir = tmp / f"set-{accounts}", tmp / "set-10"
    big_keys = populate(big_dir, accounts, range(100))  # 0-49 the working set, 50-99 cold
    small_keys = populate(small_dir, 10, range(10))
    big = _serve(big_dir, tmp, SERVER_CORES)
    small = _serve(small_dir, tmp, SERVER_CORES)
    timings: dict[str, list[float]] = {"big": [], "small": [], "cold": []}
    try:
        with httpx.Client(timeout=30) as client:

            def get(server: Server, key: str) -> float:
                started = time.perf_counter()
                response = client.get(
                    f"{server.base}/api/v1/campaigns/{CAMPAIGN_ID}", headers={"Authorization": f"Bearer {key}"}
                )
                assert response.status_code == 200, response.text
                return time.perf_counter() - started

            working, few = [big_keys[_name(n)] for n in range(50)], list(small_keys.values())
            for key in working + few + working:  # warm: both servers, every account of both sets
                get(big if key in working else small, key)
            for n in range(rounds):  # interleaved, so that the machine's noise falls on both alike
                for i, key in enumerate(working):
                    timings["big"].append(get(big, key))
                    timings["small"].append(get(small, few[(n * 50 + i) % 10]))
            for n in range(50, 100):
                timings["cold"].append(get(big, big_keys[_name(n)]))
    finally:
        big.stop()
        small.stop()
    ms = {name: [t * 1000 for t in values] for name, values in timings.items()}
    p50 = statistics.median(ms["big"]), statistics.median(ms["small"])
    tail = p99(ms["big"]), p99(ms["small"])
    cold = statistics.median(ms["cold"])
    detail = f"{len(ms['big'])} GETs each, interleaved, server on cores {SERVER_CORES}, client on {CLIENT_CORES}"
    return [
        Result(
            target="9a GET p50 10k", figure=p50[0], baseline=p50[1], ratio=p50[0] / p50[1], goal="≤ 1.2",
            passed=None if config.smoke else p50[0] / p50[1] <= 1.2, unit="ms",
            detail=f"{accounts} accounts vs 10; {detail}",
        ),
        Result(
            target="9b GET p99 10k", figure=tail[0], baseline=tail[1], ratio=tail[0] / tail[1], goal="≤ 1.2",
            passed=None if config.smoke else tail[0] / tail[1] <= 1.2, unit="ms",
            detail=f"{accounts} accounts vs 10; {detail}",
        ),
        Result(
            target="9c cold account", figure=cold, baseline=p50[0], ratio=cold / p50[0], goal="≤ 3",
            passed=None if config.smoke else cold / p50[0] <= 3, unit="ms",
            detail="median first GET to 50 accounts not yet opened, against the warm median",
        ),
    ]  # fmt: skip


def calls_in_flight(config: Config, tmp: Path) -> list[Result]:
    """10. 100 accounts, each with 2 running campaigns of 10 concurrent calls: 2,000 calls in flight
    on the simulated carrier at time scale 60 (the walkthrough's), with rounds every 0.25 s as
    `HUB_DISPATCH_INTERVAL=0.25` runs them: docs/reference/performance.md's advice for thousands of calls in flight."""
    accounts, seconds = (10, 3.0) if config.smoke else (100, 15.0)
    interval, scale, per_campaign = IN_FLIGHT_INTERVAL, 60.0, 10
    cap = accounts * 2 * per_campaign
    data_dir = tmp / "in-flight"
    with Stores(data_dir, max_open=128) as stores:
        for n in range(accounts):
            with stores.account(_name(n)) as database:
                set_limits(database, concurrent_max=2 * per_campaign, calls_per_minute=100_000,
                                daily_calls_max=10_000_000, daily_minutes_max=10_000_000)  # fmt: skip
                for c in range(2):
                    form = {**FORM, "max_concurrent_calls": per_campaign}
                    created = campaigns.create_campaign(
                        database, form, contacts_csv(300, seed=n * 2 + c), created_by="bench", region="US"
                    )
                    campaigns.start_campaign(database, created["id"])
        dispatcher = Dispatcher(stores, SimulatedCarrier(seed=9, time_scale=scale), time_scale=scale)
        rounds: list[float] = []
        occupancy: list[float] = []
        over_cap = 0
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            started = time.perf_counter()
            dispatcher.tick(clock.now())
            rounds.append(time.perf_counter() - started)
            flying, over = _in_flight(stores, accounts, per_campaign)
            occupancy.append(flying / cap)
            over_cap += over
            time.sleep(interval)  # run_forever's pause between rounds
    round_p99 = p99(rounds)
    placed = statistics.mean(occupancy)
    return [
        Result(
            target="10a round p99", figure=round_p99 * 1000, baseline=interval * 1000, ratio=round_p99 / interval,
            goal="≤ 1", passed=None if config.smoke else round_p99 <= interval, unit="ms",
            detail=f"{len(rounds)} rounds over {accounts} accounts, {cap} calls allowed at once; p50"
               f" {statistics.median(rounds) * 1000:.0f} ms, max {max(rounds) * 1000:.0f} ms; the first, which places"
               f" all {cap}: {rounds[0] * 1000:.0f} ms",
        ),
        Result(
            target="10b calls placed", figure=placed * cap, baseline=cap, ratio=placed, goal="≥ 0.9",
            passed=None if config.smoke else placed >= 0.9 and over_cap == 0, unit="calls",
            detail=f"mean calls in flight after a round, against what the caps allow; rounds over a cap: {over_cap}",
        ),
    ]  # fmt: skip


def _in_flight(stores: Stores, accounts: int, per_campaign: int) -> tuple[int, int]:
    """Calls in flight in every account, and how many campaigns or accounts are over their cap."""
    total = over = 0
    for n in range(accounts):
        with stores.account(_name(n)) as database, database.read() as db:
            counts = [row[0] for row in db.execute(
                "SELECT count(*) FROM contacts WHERE status = 'dialing' GROUP BY campaign_id")]  # fmt: skip
        total += sum(counts)
        over += sum(c > per_campaign for c in counts) + (sum(counts) > 2 * per_campaign)
    return total, over


def concurrent_memory(config: Config, tmp: Path) -> Result:
    """11. Peak memory of the server and its workers during 16 concurrent 100k-row creates,
    against during one."""
    uploads = 3 if config.smoke else 16
    data_dir = tmp / "memory"
    keys = populate(data_dir, 0, range(uploads))
    server = _serve(data_dir, tmp, CORES)
    try:
        with httpx.Client(timeout=600) as client:
            _post(client, server.base, next(iter(keys.values())), config.small)  # warm: workers forked
        time.sleep(0.5)
        idle = server.rss()
        one, _ = _peak_during(server, [next(iter(keys.values()))], config.large)
        time.sleep(0.5)
        many, statuses = _peak_during(server, list(keys.values()), config.large)
    finally:
        server.stop()
    mib = 2**20
    ratio = many / one
    answered = statuses.count(201)
    return Result(
        target="11 memory x16", figure=many / mib, baseline=one / mib, ratio=ratio, goal="≤ 1.5",
        passed=None if config.smoke else ratio <= 1.5 and answered == uploads, unit="MiB",
        detail=f"peak RSS during {uploads} concurrent creates vs during 1 (idle {idle / mib:.0f} MiB); {answered}/{uploads}"
        " answered 201",
    )  # fmt: skip


def _post(client: httpx.Client, base: str, key: str, csv: bytes) -> int:
    response = client.post(
        f"{base}/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}, data=FORM,
        files={"contacts": ("contacts.csv", csv, "text/csv")},
    )  # fmt: skip
    return response.status_code


def _peak_during(server: Server, keys: list[str], csv: bytes) -> tuple[int, list[int]]:
    peak = [server.rss()]
    statuses: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak.append(server.rss())
            time.sleep(0.01)

    def upload(key: str) -> None:
        with httpx.Client(timeout=600) as client:
            statuses.append(_post(client, server.base, key, csv))

    sampler = threading.Thread(target=sample)
    sampler.start()
    uploaders = [threading.Thread(target=upload, args=(key,)) for key in keys]
    for thread in uploaders:
        thread.start()
    for thread in uploaders:
        thread.join()
    stop.set()
    sampler.join()
    return max(peak), statuses
