"""Live: a server under `ulimit -n 128` serving 500 accounts, and SIGKILLs at random moments
while campaigns start and finish in several accounts."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from kataven_hub import auth
from kataven_hub.dispatch.loop import Dispatcher
from kataven_hub.storage import Stores, open_backend
from support.servers import BIN, PROCESSES, free_port, serving, wait_until_up
from tests.conftest import AGENT, NUMBER_ID

BACKENDS = ("sqlite", "postgres")
"""The crash test runs on both storage drivers (`tests.conftest`); the others are about SQLite's files."""

pytestmark = pytest.mark.live

PEPPER = "many-accounts"
FORM = {"agent_id": AGENT, "phone_number_id": NUMBER_ID, "max_concurrent_calls": "1"}


def _keys(data_dir: Path, accounts: list[str], database_url: str = "") -> dict[str, str]:
    with open_backend(data_dir, database_url) as stores:
        return {account: auth.create_key(stores.system, PEPPER, account=account)[1] for account in accounts}


def _create(client: httpx.Client, key: str, name: str, contacts: int = 3) -> httpx.Response:
    csv = "phone_number\n" + "".join(f"+1415555{n:04d}\n" for n in range(contacts))
    return client.post(
        "/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}, data={**FORM, "name": name},
        files={"contacts": ("c.csv", csv.encode(), "text/csv")},
    )  # fmt: skip


def _account_databases_open(pid: int) -> int:
    fd_dir = Path(f"/proc/{pid}/fd")
    targets = set()
    for fd in fd_dir.iterdir():
        try:
            targets.add(os.readlink(fd))
        except OSError:
            continue
    return len({t.removesuffix("-wal").removesuffix("-shm") for t in targets if "/accounts/" in t})


def test_500_accounts_under_128_open_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    keys = _keys(data_dir, [f"acct{n:03d}" for n in range(500)])
    env = {"HUB_PEPPER": PEPPER, "HUB_SIM_TIME_SCALE": "600"}
    with serving(data_dir, env, open_files=128) as (base, log), httpx.Client(base_url=base, timeout=60) as client:
        pid = PROCESSES[base].pid
        most_open = 0
        for n, (account, key) in enumerate(keys.items()):
            created = _create(client, key, account)
            assert created.status_code == 201, created.text
            got = client.get(f"/api/v1/campaigns/{created.json()['id']}", headers={"Authorization": f"Bearer {key}"})
            assert got.status_code == 200 and got.json()["name"] == account
            if n % 50 == 0:
                most_open = max(most_open, _account_databases_open(pid))
        key = keys["acct250"]
        headers = {"Authorization": f"Bearer {key}"}
        campaign_id = _create(client, key, "dialled", contacts=5).json()["id"]
        assert client.post(f"/api/v1/campaigns/{campaign_id}/start", headers=headers).status_code == 200
        deadline = time.monotonic() + 120
        while client.get(f"/api/v1/campaigns/{campaign_id}", headers=headers).json()["status"] != "completed":
            assert time.monotonic() < deadline, "the campaign did not complete"
            time.sleep(0.2)
        output = log.read_text()
    assert "up to 16 account databases open at once" in output  # the default, from the limit
    assert 0 < most_open <= 16
    assert "Too many open files" not in output and "Traceback" not in output, output[-3000:]


def test_sigkill_at_random_moments_then_restart(tmp_path: Path, database_url: str) -> None:
    """Campaigns start, pause and finish in five accounts while the server is killed at random
    moments; a sixth account only ever has drafts. After each kill, start-up leaves the index
    equal to the accounts with work, and a round visits those and no other (on PostgreSQL, where
    the index is written in the same transactions, it holds every account with work); the
    restarted server then finishes every campaign that was left running."""
    rng = random.Random(20261127)
    data_dir = tmp_path / "data"
    accounts = [f"crash{n}" for n in range(6)]
    keys = _keys(data_dir, accounts, database_url)
    over = {"HUB_DATABASE_URL": database_url} if database_url else {}
    env = {**os.environ, "HUB_PEPPER": PEPPER, "HUB_SIM_TIME_SCALE": "60", "HUB_INGEST_WORKERS": "0", **over}
    seen_with_work: list[set[str]] = []
    for kill in range(5):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = tmp_path / f"server-{kill}.log"
        with open(log, "w") as out:
            server = subprocess.Popen(
                [str(BIN / "hub"), "serve", "--port", str(port), "--data-dir", str(data_dir)],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until_up(base + "/openapi.json", server, log)
        stop = threading.Event()
        traffic = threading.Thread(target=_traffic, args=(base, keys, random.Random(rng.random()), stop))
        traffic.start()
        time.sleep(rng.uniform(0.3, 2.0))
        server.kill()  # SIGKILL: no shutdown of any kind
        server.wait()
        stop.set()
        traffic.join()
        seen_with_work.append(_check_index_after_a_crash(data_dir, database_url))
    assert all("crash5" not in found for found in seen_with_work)
    assert seen_with_work[-1], "the last kill found no account with work: the test would prove nothing"
    with serving(data_dir, {"HUB_PEPPER": PEPPER, "HUB_SIM_TIME_SCALE": "60", **over}) as (base, _log):
        deadline = time.monotonic() + 120
        while _unfinished(base, keys):
            assert time.monotonic() < deadline, f"left unfinished: {_unfinished(base, keys)}"
            time.sleep(0.3)
    assert _with_work(data_dir, database_url) == set()


def _traffic(base: str, keys: dict[str, str], rng: random.Random, stop: threading.Event) -> None:
    """Create and start campaigns (pausing some) until the server dies under it."""
    with httpx.Client(base_url=base, timeout=5) as client:
        while not stop.is_set():
            account = rng.choice(list(keys)[:5]) if rng.random() < 0.85 else "crash5"
            key = keys[account]
            try:
                created = _create(client, key, "crash", contacts=rng.randint(1, 6))
                if account == "crash5" or created.status_code != 201:
                    continue
                path = f"/api/v1/campaigns/{created.json()['id']}"
                client.post(f"{path}/start", headers={"Authorization": f"Bearer {key}"})
                if rng.random() < 0.2:
                    client.post(f"{path}/pause", headers={"Authorization": f"Bearer {key}"})
            except httpx.TransportError:
                return


def _check_index_after_a_crash(data_dir: Path, database_url: str) -> set[str]:
    if database_url:  # the killed server's leases hold a while: the index itself is checked
        expected = _with_work(data_dir, database_url)
        with psycopg.connect(database_url) as conn:
            assert expected <= {row[0] for row in conn.execute("SELECT account FROM account_work")}
        return expected
    with Stores(data_dir) as stores:
        dispatcher = Dispatcher(stores, dialer=None)  # type: ignore[arg-type]  # never dials here
        dispatcher.recover()
        expected = _with_work(data_dir)
        assert set(stores.work.accounts()) == expected
        visited: list[str] = []

        def record(database: Any, _now: Any) -> bool:
            visited.append(database.name)
            return True  # visited, and nothing changed

        dispatcher.tick_account = record  # type: ignore[method-assign]
        dispatcher.tick(None)  # type: ignore[arg-type]
        assert set(visited) == expected
    return expected


def _with_work(data_dir: Path, database_url: str = "") -> set[str]:
    found = set()
    with open_backend(data_dir, database_url) as stores:
        for name in stores.account_names():
            with stores.account(name) as database, database.read() as conn:
                if conn.has_work():
                    found.add(name)
    return found


def _unfinished(base: str, keys: dict[str, str]) -> list[str]:
    left = []
    for account, key in keys.items():
        listed = httpx.get(f"{base}/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}, timeout=30)
        left += [f"{account}/{c['id']}" for c in listed.json()["campaigns"] if c["status"] in ("running", "scheduled")]
    return left


def test_large_uploads_over_the_turns_wait_then_get_a_503_that_stores_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key = _keys(data_dir, ["acme"])["acme"]
    large = ("phone_number\n" + "".join(f"+1415{2_000_000 + n:07d}\n" for n in range(100_000))).encode()
    env = {"HUB_PEPPER": PEPPER, "HUB_INGESTS_AT_ONCE": "1", "HUB_INGEST_WAIT": "0.2"}
    answers: list[httpx.Response] = []

    def upload() -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            answers.append(client.post(
                "/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}, data={**FORM, "name": "large"},
                files={"contacts": ("c.csv", large, "text/csv")},
            ))  # fmt: skip

    with serving(data_dir, env) as (base, _log):
        first = threading.Thread(target=upload)
        first.start()
        time.sleep(0.5)  # the first holds the only turn for seconds: 100,000 numbers
        upload()
        first.join()
        listed = httpx.get(f"{base}/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}).json()
    assert sorted(a.status_code for a in answers) == [201, 503]
    [refused] = [a for a in answers if a.status_code == 503]
    assert refused.headers["content-type"] == "application/json"
    assert refused.headers["retry-after"] == "1"
    assert "large uploads are ingested 1 at a time" in refused.json() and "try again" in refused.json()
    assert len(listed["campaigns"]) == 1


def test_connections_over_the_bound_get_a_503_not_a_hang(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key = _keys(data_dir, ["acme"])["acme"]
    with serving(data_dir, {"HUB_PEPPER": PEPPER, "HUB_MAX_CONNECTIONS": "2"}) as (base, log):
        port = int(base.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        try:
            time.sleep(0.2)
            over = httpx.get(f"{base}/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)
        after = httpx.get(f"{base}/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert over.status_code == 503 and over.text == "Service Unavailable"
    assert after.status_code == 200
    assert "and 2 connections (more get a 503)" in log.read_text()
