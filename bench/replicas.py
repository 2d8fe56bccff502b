"""Target 15 (issue 18): replicas of `hub serve` on one PostgreSQL. Each a figure and its baseline
from the same run, on a throwaway PostgreSQL (`support.postgres`, unpinned: it shares the cores).

    15a  calls placed and settled per second, 2 replicas over 1 (and 3 over 2); PostgreSQL's CPU
         seconds per 1,000 calls, the figure that extrapolates to a bigger machine
    15b  the 100k-contact create on PostgreSQL (COPY) over the same on SQLite
    15c  GET p99 on replica B while replica A ingests large creates, over B idle
    15d  failover: a SIGKILLed replica's accounts dispatched again, over lease + interval
    15e  idle CPU of PostgreSQL and 3 replicas with 10,000 accounts over 10 accounts
    15f  GETs per second with --rate-limits on PostgreSQL over without
    15g  a dispatcher round's p99 with 10,000 calls in flight over 3 replicas, over the interval,
         at the carrier's pace and at ten times it
    15h  a soak: transaction ids per call attempt, and dead tuples over live ones
"""

from __future__ import annotations

import os
import signal
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import psycopg

from bench.harness import (
    AGENT,
    BIN,
    CLIENT_CORES,
    CORES,
    NUMBER_ID,
    SERVER_CORES,
    Config,
    Result,
    Server,
    create,
    hub_server,
    p99,
    pinned,
    ratio_result,
    timed,
)
from kataven_hub import auth, campaigns
from kataven_hub.campaigns.limits import set_limits
from kataven_hub.storage.pg import PgBackend
from kataven_hub.storage.pg.work import LEASE
from support import postgres

PEPPER = "bench"
FORM = {"name": "bench", "agent_id": AGENT, "phone_number_id": NUMBER_ID, "max_concurrent_calls": 10}
INTERVAL = 0.1


def _postgres_cpu() -> float:
    """CPU seconds of every process of the `postgres` user so far (the throwaway server's)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.parent.stat().st_uid != _postgres_uid():
                continue
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _postgres_uid() -> int:
    import pwd

    return pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()


def _account(n: int) -> str:
    return f"acct{n:05d}"


def prepared(cluster: postgres.Cluster, accounts: int, contacts: int, *, start: bool, form: dict[str, object] | None = None,
             concurrent_max: int = 20) -> str:  # fmt: skip
    """A database of `accounts` accounts with two campaigns of `contacts` each (started, or
    drafts), made in-process; its name, to copy as a template. Each account has numbers of its
    own: the seeded carrier gives a number the same call, so accounts alike in everything would
    dial and hang up in lockstep, as no real accounts do."""
    url = cluster.create_database(template=postgres.TEMPLATE)
    with PgBackend(url) as backend:
        for n in range(accounts):
            first = 2000000 + n * contacts
            csv = ("phone_number\n" + "".join(f"+1415{first + i:07d}\n" for i in range(contacts))).encode()
            with backend.account(_account(n)) as database:
                set_limits(database, concurrent_max=concurrent_max, calls_per_minute=100_000, daily_calls_max=10_000_000)
                for _ in range(2):
                    made = campaigns.create_campaign(database, form or FORM, csv, created_by="bench", region="US")
                    if start:
                        campaigns.start_campaign(database, made["id"])
        auth.create_key(backend.system, PEPPER, account=_account(0))
    return url.rsplit("/", 1)[1]


@contextmanager
def replicas(tmp: Path, url: str, count: int, *flags: str, **env: str) -> Iterator[list[Server]]:
    """`count` replicas on the database, replica i pinned to core i (round the cores)."""
    with ExitStack() as stack:
        servers = []
        for i in range(count):
            settings = {"HUB_PEPPER": PEPPER, "HUB_DATABASE_URL": url, "HUB_DATA_DIR": str(tmp / f"replica-{i}"),
                        "HUB_DISPATCH_INTERVAL": str(INTERVAL), **env}  # fmt: skip
            server = Server([str(BIN / "hub"), "serve", "--sim-time-scale", "60", *flags], settings,
                            [CORES[i % len(CORES)]], tmp / f"replica-{i}-{time.monotonic_ns()}.log")  # fmt: skip
            stack.callback(server.stop)
            servers.append(server)
        yield servers


def _calls(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        placed, settled = conn.execute("SELECT count(*), count(ended_at) FROM calls").fetchone()  # type: ignore[misc]
    return int(placed), int(settled)


def dispatch_scales(config: Config, tmp: Path) -> list[Result]:
    """15a. 400 accounts × 2 campaigns × 25 at once, time scale 60; 1, 2 and 3 replicas in turn,
    twice, the medians. The caps allow about 28,000 calls placed and settled a second, well over
    what the replicas reach here, so that the figure is theirs, not the caps'."""
    accounts, seconds = (20, 3.0) if config.smoke else (400, 10.0)
    with postgres.cluster() as cluster:
        postgres.template(cluster)
        template = prepared(cluster, accounts, 60 if config.smoke else 200, start=True,
                            form={**FORM, "max_concurrent_calls": 25}, concurrent_max=50)  # fmt: skip
        runs: dict[int, list[tuple[float, float]]] = {1: [], 2: [], 3: []}
        for _ in range(1 if config.smoke else 2):  # in turn, twice: the machine's drift falls on each count
            for count in runs:
                url = cluster.create_database(template=template)
                with replicas(tmp, url, count):
                    time.sleep(3.0)  # leases taken, the first calls placed
                    (placed, settled), db_cpu, began = _calls(url), _postgres_cpu(), time.monotonic()
                    time.sleep(seconds)
                    (placed2, settled2), db_cpu2, took = _calls(url), _postgres_cpu(), time.monotonic() - began
                done = placed2 - placed + settled2 - settled
                runs[count].append((done / took, (db_cpu2 - db_cpu) / max(1, done) * 1000))
        rates = {count: statistics.median(rate for rate, _cpu in found) for count, found in runs.items()}
        cpu = {count: statistics.median(spent for _rate, spent in found) for count, found in runs.items()}
    detail = (f"{accounts} accounts × 2 × 25 at once; calls placed + settled a second (median of"
              f" {len(runs[1])} runs): 1 replica {rates[1]:.0f}, 2: {rates[2]:.0f}, 3: {rates[3]:.0f}"
              f" (runs {[[round(rate) for rate, _ in found] for found in runs.values()]});"
              f" PostgreSQL CPU s per 1,000 calls {cpu[1]:.2f} / {cpu[2]:.2f} /"
              f" {cpu[3]:.2f}; replicas pinned one a core on {CORES}, PostgreSQL unpinned")  # fmt: skip
    return [
        ratio_result(target="15a dispatch, 2 replicas over 1", figure=rates[2], baseline=rates[1], goal=1.6,
                     higher_is_better=True, smoke=config.smoke, unit="calls/s", detail=detail),
        ratio_result(target="15a dispatch, 3 replicas over 2", figure=rates[3], baseline=rates[2], goal=0.9,
                     higher_is_better=True, smoke=config.smoke, unit="calls/s", detail="no third core here: a third replica must not cost"),
    ]  # fmt: skip


def large_create(config: Config, tmp: Path) -> Result:
    """15b. The 100k-contact create over HTTP, PostgreSQL (COPY) over SQLite."""
    with postgres.cluster() as cluster:
        postgres.template(cluster)
        url = cluster.create_database(template=postgres.TEMPLATE)
        with hub_server(tmp, CORES, HUB_DATABASE_URL=url) as (server, key), httpx.Client() as client:
            create(client, server.base, key, config.large)  # warm
            on_pg = [timed(lambda: create(client, server.base, key, config.large)) for _ in range(config.repeat)]
    with hub_server(tmp, CORES) as (server, key), httpx.Client() as client:
        create(client, server.base, key, config.large)
        on_sqlite = [timed(lambda: create(client, server.base, key, config.large)) for _ in range(config.repeat)]
    figure, baseline = statistics.median(on_pg), statistics.median(on_sqlite)
    return ratio_result(
        target="15b large create, PostgreSQL over SQLite", figure=figure, baseline=baseline, goal=1.1, higher_is_better=False,
        smoke=config.smoke, unit="s", detail=f"{config.rows} rows, median of {config.repeat}, each server on cores {CORES}",
    )


def responsive_while_ingesting(config: Config, tmp: Path) -> Result:
    """15c. GET p99 on replica B while replica A ingests 100k creates back to back, over B idle."""
    with postgres.cluster() as cluster:
        postgres.template(cluster)
        url = cluster.create_database(template=prepared(cluster, 1, 10, start=False))
        key = _key(url)
        with pinned(CLIENT_CORES), replicas(tmp, url, 2, HUB_DISPATCH="0") as (one, two), httpx.Client() as client:
            campaign_id = create(client, one.base, key, config.small)
            get = f"{two.base}/api/v1/campaigns/{campaign_id}"
            headers = {"Authorization": f"Bearer {key}"}

            def probe() -> float:
                began = time.perf_counter()
                assert client.get(get, headers=headers).status_code == 200
                return time.perf_counter() - began

            for _ in range(50):  # warm: connections opened, caches filled
                probe()
            idle = [probe() for _ in range(50 if config.smoke else 300)]
            busy: list[float] = []
            stop = threading.Event()

            def ingest() -> None:
                with httpx.Client() as own:
                    while not stop.is_set():
                        create(own, one.base, key, config.large)

            ingesting = threading.Thread(target=ingest)
            ingesting.start()
            time.sleep(0.2)
            deadline = time.monotonic() + config.seconds * 2
            while time.monotonic() < deadline:
                busy.append(probe())
            stop.set()
            ingesting.join()
    return ratio_result(
        target="15c GET p99 on B while A ingests", figure=p99(busy) * 1000, baseline=p99(idle) * 1000, goal=2.0,
        higher_is_better=False, smoke=config.smoke, unit="ms",
        detail=f"{len(busy)} GETs during back-to-back {config.rows}-row creates on replica A; replicas on cores {CORES}, client too",
    )


def _key(url: str) -> str:
    with PgBackend(url) as backend:
        return auth.create_key(backend.system, PEPPER, account=_account(0))[1]


def failover(config: Config, tmp: Path) -> Result:
    """15d. SIGKILL replica A: until another replica has leased every account A held (it rounds
    an account from the tick that leases it)."""
    accounts = 10 if config.smoke else 100
    with postgres.cluster() as cluster:
        postgres.template(cluster)
        url = cluster.create_database(template=prepared(cluster, accounts, 400, start=True))
        with replicas(tmp, url, 2) as (one, two):
            time.sleep(3.0)
            with psycopg.connect(url, autocommit=True) as conn:
                node = conn.execute("SELECT id FROM nodes WHERE id LIKE %s", [f"%:{one.process.pid}:%"]).fetchone()[0]  # type: ignore[index]
                held = [r[0] for r in conn.execute("SELECT account FROM account_work WHERE leased_by = %s", [node])]
                one.process.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                waiting = set(held)
                while waiting and time.monotonic() - killed < 60:
                    rows = conn.execute("SELECT account FROM account_work WHERE account = ANY(%s) AND leased_by <> %s",
                                        [list(waiting), node])  # fmt: skip
                    waiting -= {r[0] for r in rows}
                    time.sleep(0.02)
                took = time.monotonic() - killed
            one.process.wait()
    return ratio_result(
        target="15d failover", figure=took, baseline=LEASE + INTERVAL, goal=1.0, higher_is_better=False,
        smoke=config.smoke, unit="s",
        detail=f"{len(held)} accounts leased by the killed replica, all leased by the other after (waiting: {len(waiting)})",
    )


def idle_cost(config: Config, tmp: Path) -> Result:
    """15e. CPU of PostgreSQL and 3 replicas over 10 s, 10,000 accounts with nothing to do over 10."""
    many = 200 if config.smoke else 10_000
    spent = {}
    with postgres.cluster() as cluster:
        postgres.template(cluster)
        for accounts in (10, many):
            url = cluster.create_database(template=postgres.TEMPLATE)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("INSERT INTO accounts (account) SELECT 'acct' || lpad(n::text, 5, '0') FROM generate_series(0, %s) n",
                             [accounts - 1])  # fmt: skip
                conn.execute("VACUUM ANALYZE")  # not autovacuum's, for the rows just made, within the 20 s measured
            with replicas(tmp, url, 3) as servers:
                time.sleep(2.0)
                before = sum(s.cpu_seconds() for s in servers) + _postgres_cpu()
                began = time.monotonic()
                time.sleep(config.seconds * 2)
                after = sum(s.cpu_seconds() for s in servers) + _postgres_cpu()
                spent[accounts] = (after - before) / (time.monotonic() - began) * 100
    extra = spent[many] - spent[10]
    return Result(
        target="15e idle cost", figure=spent[many], baseline=spent[10], ratio=extra, goal="≤ +1 point",
        passed=None if config.smoke else extra <= 1.0, unit="% of a core",
        detail=f"{many} accounts vs 10, none with work; PostgreSQL and 3 replicas; difference {extra:+.2f} points",
    )


def rate_limited_gets(config: Config, tmp: Path) -> Result:
    """15f. GETs a second on one replica with --rate-limits (counters in PostgreSQL) over without,
    three runs of each, in turn; the medians."""
    rates: dict[bool, list[float]] = {}
    with postgres.cluster() as cluster:
        postgres.template(cluster)
        url = cluster.create_database(template=prepared(cluster, 1, 10, start=False))
        key = _key(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE account_limits SET requests_per_minute = 10000000, requests_per_hour = 10000000,"
                         " requests_per_day = 100000000, requests_in_flight = 100000")  # fmt: skip
        for _ in range(1 if config.smoke else 3):  # interleaved: the machine's drift falls on both
            for flags in ((), ("--rate-limits",)):
                with pinned(CLIENT_CORES), replicas(tmp, url, 1, *flags, HUB_DISPATCH="0") as (server,):
                    rates.setdefault(bool(flags), []).append(_get_rate(server.base, key, config.seconds))
    return ratio_result(
        target="15f GETs with --rate-limits on PostgreSQL", figure=statistics.median(rates[True]),
        baseline=statistics.median(rates[False]), goal=0.8,
        higher_is_better=True, smoke=config.smoke, unit="req/s",
        detail=f"GET /api/v1/campaigns, 8 at once, server on {SERVER_CORES[:1] or CORES}, client on {CLIENT_CORES};"
               f" runs with {rates[True]}, without {rates[False]}",
    )


def _get_rate(base: str, key: str, seconds: float) -> float:
    done = [0]
    stop = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {key}"}) as own:
            while time.monotonic() < stop:
                assert own.get(f"{base}/api/v1/campaigns").status_code == 200
                done[0] += 1

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / seconds


def round_p99(config: Config, tmp: Path) -> list[Result]:
    """15g. 500 accounts × 2 campaigns × 10 at once = 10,000 calls in flight over 3 replicas, a
    round every 0.25 s: each replica's round p99 over the interval, and the calls in flight over
    the caps. At the carrier's own pace (time scale 1: calls last as long as real ones), and at
    ten times it (time scale 10: ten times as many calls placed and settled a second)."""
    accounts, interval = (20, 0.25) if config.smoke else (500, 0.25)
    slots = accounts * 2 * 10
    results = []
    with postgres.cluster() as cluster:
        postgres.template(cluster)
        template = prepared(cluster, accounts, 150, start=True)  # enough that no campaign runs out at 10× pace
        for scale, name in ((1, "15g"), (10, "15g at 10× pace")):
            url = cluster.create_database(template=template)
            rounds, samples = _rounds_and_calls(config, tmp, url, interval, scale)
            over, rate = _over_caps(url), _settled_rate(url)
            mean_in_flight = statistics.mean(samples)
            detail = (f"time scale {scale}, {rate:.0f} calls settled a second; {accounts} accounts × 2 × 10 = {slots}"
                      f" slots; {len(rounds)} rounds over 3 replicas, p50 {statistics.median(rounds) * 1000:.0f} ms;"
                      f" calls in flight {mean_in_flight:.0f} on average ({mean_in_flight / slots:.0%} of the caps);"
                      f" caps exceeded: {over or 'never'}")  # fmt: skip
            results += [
                ratio_result(target=f"{name} round p99, 10,000 in flight, 3 replicas", figure=p99(rounds), baseline=interval,
                             goal=1.0, higher_is_better=False, smoke=config.smoke, unit="s", detail=detail, errors=len(over)),
                ratio_result(target=f"{name} calls in flight over the caps", figure=mean_in_flight, baseline=slots, goal=0.9,
                             higher_is_better=True, smoke=config.smoke, unit="calls", detail="sampled every second"),
            ]  # fmt: skip
    return results


def _rounds_and_calls(config: Config, tmp: Path, url: str, interval: float, scale: int) -> tuple[list[float], list[int]]:
    """Three replicas at `scale`, once the caps have filled: every round's duration, and the calls
    in flight sampled every second."""
    times = [tmp / f"rounds-{i}-{time.monotonic_ns()}" for i in range(3)]
    samples: list[int] = []
    with ExitStack() as stack:
        for i, path in enumerate(times):
            settings = {"HUB_PEPPER": PEPPER, "HUB_DATABASE_URL": url, "HUB_DATA_DIR": str(tmp / f"r{i}"),
                        "HUB_DISPATCH_INTERVAL": str(interval), "HUB_TEST_ROUND_TIMES": str(path)}  # fmt: skip
            server = Server([str(BIN / "hub"), "serve", "--sim-time-scale", str(scale)], settings, [CORES[i % len(CORES)]],
                            tmp / f"r{i}-{time.monotonic_ns()}.log")  # fmt: skip
            stack.callback(server.stop)
        time.sleep(5.0 if config.smoke else 15.0)  # the caps fill
        for path in times:
            path.write_text("")
        with psycopg.connect(url, autocommit=True) as conn:
            for _ in range(int(config.seconds * 2)):
                samples.append(int(conn.execute("SELECT count(*) FROM calls WHERE ended_at IS NULL").fetchone()[0]))  # type: ignore[index]
                time.sleep(1.0)
    return [float(line) for path in times for line in path.read_text().split()], samples


def _settled_rate(url: str) -> float:
    """Calls settled a second over the run, from the hub's record."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) / greatest(1, extract(epoch FROM max(ended_at::timestamptz) - min(ended_at::timestamptz)))"
            " FROM calls WHERE ended_at IS NOT NULL"
        ).fetchone()  # fmt: skip
    return float(row[0]) if row and row[0] is not None else 0.0


def _over_caps(url: str) -> list[str]:
    """Campaigns and accounts whose calls, by the carrier's record, ever exceeded their caps."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "WITH edges AS (SELECT account, campaign_id, dialled_at AS at, 1 AS step FROM sim_calls"
            " UNION ALL SELECT account, campaign_id, ends_at, -1 FROM sim_calls),"
            " by_campaign AS (SELECT campaign_id, sum(step) OVER (PARTITION BY account, campaign_id ORDER BY at, step"
            " ROWS UNBOUNDED PRECEDING) AS n FROM edges),"
            " by_account AS (SELECT account, sum(step) OVER (PARTITION BY account ORDER BY at, step"
            " ROWS UNBOUNDED PRECEDING) AS n FROM edges)"
            " SELECT 'campaign ' || campaign_id FROM by_campaign GROUP BY campaign_id HAVING max(n) > 10"
            " UNION ALL SELECT 'account ' || account FROM by_account GROUP BY account HAVING max(n) > 20"
        ).fetchall()  # fmt: skip
    return [row[0] for row in rows]


def soak(config: Config, tmp: Path) -> list[Result]:
    """15h. 10 minutes of dispatch (100 accounts, 2 replicas): transaction ids per call attempt;
    dead tuples over live ones at the end in account_work, calls and contacts."""
    minutes, accounts = (0.1, 10) if config.smoke else (10.0, 100)
    with postgres.cluster() as cluster:
        postgres.template(cluster)
        url = cluster.create_database(template=prepared(cluster, accounts, 2000, start=True,
                                                        form={**FORM, "max_concurrent_calls": 5}))  # fmt: skip
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")  # a copied database starts with no statistics: count the live rows
        with psycopg.connect(url, autocommit=True) as conn, replicas(tmp, url, 2):
            time.sleep(3.0)
            xid, attempts = _xid_and_attempts(conn)
            time.sleep(minutes * 60)
            xid2, attempts2 = _xid_and_attempts(conn)
            time.sleep(2.0)
            tuples = conn.execute(
                "SELECT relname, n_live_tup, n_dead_tup FROM pg_stat_user_tables"
                " WHERE relname IN ('account_work', 'calls', 'contacts') ORDER BY relname"
            ).fetchall()  # fmt: skip
    per_attempt = (xid2 - xid) / max(1, attempts2 - attempts)
    live, dead = sum(r[1] for r in tuples), sum(r[2] for r in tuples)
    detail = ", ".join(f"{name}: {n_live} live, {n_dead} dead" for name, n_live, n_dead in tuples)
    return [
        ratio_result(target="15h soak, transaction ids per attempt", figure=xid2 - xid, baseline=max(1, attempts2 - attempts),
                     goal=3.0, higher_is_better=False, smoke=config.smoke, unit="xids",
                     detail=f"{minutes:g} minutes, {accounts} accounts × 2 campaigns × 5 at once, 2 replicas; {per_attempt:.2f} per attempt"),
        ratio_result(target="15h soak, dead tuples over live", figure=dead, baseline=max(1, live), goal=2.0,
                     higher_is_better=False, smoke=config.smoke, unit="tuples", detail=detail),
    ]  # fmt: skip


def _xid_and_attempts(conn: psycopg.Connection[tuple[int, ...]]) -> tuple[int, int]:
    row = conn.execute("SELECT txid_current(), (SELECT count(*) FROM calls)").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def all_targets(config: Config, tmp: Path) -> list[Result]:
    return [
        *dispatch_scales(config, tmp), large_create(config, tmp), responsive_while_ingesting(config, tmp),
        failover(config, tmp), idle_cost(config, tmp), rate_limited_gets(config, tmp), *round_p99(config, tmp),
        *soak(config, tmp),
    ]
