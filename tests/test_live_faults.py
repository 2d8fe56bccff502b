"""The machine's faults against a live server with the dispatcher running a campaign throughout,
without root: a full disk (a 40 MB tmpfs filled by creates of 20,000 contacts), a data directory
turned read-only, a database busy past its timeout, the open-file limit. For each: the documented
answer (507, or 503 with Retry-After) naming the cause, the log line, nothing partial, and recovery
once the fault is lifted, without a restart; the campaign completes with every contact final and
none dialled more than `retries_per_contact + 1` times.

The disk is a tmpfs mounted in a user and mount namespace of the test's own (`unshare -Urm`: no
root needed), where a shell takes the commands that fill, free, or turn the disk read-only."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kataven_hub import auth
from kataven_hub.storage import Stores
from support.servers import BIN, PROCESSES, free_port, serving
from tests.conftest import AGENT, NUMBER_ID

pytestmark = pytest.mark.live
PEPPER = "faults"
LOOP = 'while IFS= read -r line; do sh -c "$line" 2>&1; echo "__done__ $?"; done'


class Jail:
    """A shell in a user and mount namespace of its own, with a tmpfs of `size_mb` at `disk`."""

    def __init__(self, tmp: Path, size_mb: int, env: dict[str, str]) -> None:
        self.disk = tmp / "disk"
        self.disk.mkdir()
        self.shell = subprocess.Popen(["unshare", "-Urm", "sh", "-c", LOOP], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, env={**os.environ, **env})  # fmt: skip
        self.run(f"mount -t tmpfs -o size={size_mb}m tmpfs {self.disk}")

    def run(self, command: str, check: bool = True) -> str:
        assert self.shell.stdin and self.shell.stdout
        self.shell.stdin.write(command + "\n")
        self.shell.stdin.flush()
        lines = []
        while not (line := self.shell.stdout.readline()).startswith("__done__"):
            lines.append(line)
        if check and line.split()[1] != "0":
            raise AssertionError(f"{command}: {''.join(lines)}")
        return "".join(lines)

    def read_only(self, folder: Path) -> None:
        """Turn `folder` read-only under a running server: a read-only view of it is made aside
        and moved onto it (remounting `folder` itself read-only fails while the server writes
        there). Files the server already has open for writing stay writable, as the kernel has it."""
        view = self.disk.parent / "view"
        view.mkdir(exist_ok=True)
        self.run(f"mount --bind {folder} {view} && mount -o remount,bind,ro {view} && mount --move {view} {folder}")

    def close(self) -> None:
        assert self.shell.stdin and self.shell.stdout
        self.shell.stdin.close()
        self.shell.wait(timeout=10)
        self.shell.stdout.close()


@pytest.fixture
def jail(tmp_path: Path) -> Iterator[Jail]:
    found = Jail(tmp_path, 40, {"HUB_PEPPER": PEPPER, "HUB_SIM_TIME_SCALE": "60"})
    yield found
    found.close()


def _serve_in(jail: Jail, data_dir: Path, log: Path, **env: str) -> tuple[str, int]:
    port = free_port()
    settings = " ".join(f"{k}={v}" for k, v in env.items())
    pid = int(jail.run(f"{settings} {BIN / 'hub'} serve --port {port} --data-dir {data_dir} > {log} 2>&1 & echo $!"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/openapi.json", timeout=1)
            return base, pid
        except httpx.TransportError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)


def _csv(count: int, start: int = 0) -> bytes:
    numbers = (f"+1415{200 + (start + n) // 10_000 % 700:03d}{(start + n) % 10_000:04d}" for n in range(count))
    return ("phone_number,first_name\n" + "".join(f"{number},P{n}\n" for n, number in enumerate(numbers))).encode()


def _create(client: httpx.Client, key: str, contacts: int, **fields: Any) -> httpx.Response:
    form = {"name": "faults", "agent_id": AGENT, "phone_number_id": NUMBER_ID, **{k: str(v) for k, v in fields.items()}}
    return client.post("/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}, data=form,
                       files={"contacts": ("c.csv", _csv(contacts, start=contacts * 7), "text/csv")})  # fmt: skip


def _running(client: httpx.Client, key: str, at_once: int = 5) -> str:
    """A campaign of 40 contacts, one retry: the dispatcher's work while the fault lasts."""
    made = _create(client, key, 40, max_concurrent_calls=at_once, retries_per_contact=1)
    assert made.status_code == 201, made.text
    started = client.post(f"/api/v1/campaigns/{made.json()['id']}/start", headers={"Authorization": f"Bearer {key}"})
    assert started.status_code == 200
    return str(made.json()["id"])


def _finished(client: httpx.Client, key: str, campaign_id: str) -> None:
    """The campaign completes: every contact final, none dialled more than twice."""
    auth_header = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + 240
    while client.get(f"/api/v1/campaigns/{campaign_id}", headers=auth_header).json()["status"] != "completed":
        assert time.monotonic() < deadline, "the campaign did not complete once the fault was lifted"
        time.sleep(0.5)
    contacts = client.get(f"/api/v1/campaigns/{campaign_id}/contacts", headers=auth_header).json()["contacts"]
    assert len(contacts) == 40
    assert all(c["status"] in ("completed", "no_answer", "busy", "failed") and 1 <= c["attempts"] <= 2 for c in contacts)


def _count(client: httpx.Client, key: str) -> int:
    return len(client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}).json()["campaigns"])


def _key(data_dir: Path, account: str) -> str:
    with Stores(data_dir) as stores:
        return auth.create_key(stores.system, PEPPER, account=account)[1]


def test_a_full_disk_answers_507_keeps_reading_and_recovers(jail: Jail, tmp_path: Path) -> None:
    data = jail.disk / "data"
    key = jail.run(f"{BIN / 'hub'} keys create --account full --data-dir {data} | tail -1").strip()
    jail.run(f"head -c 8m /dev/zero > {jail.disk}/ballast")
    base, pid = _serve_in(jail, data, tmp_path / "server.log", HUB_INGEST_WORKERS="0")
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            campaign = _running(client, key, at_once=1)  # over a minute of calls at time scale 60
            refused = None
            for _ in range(40):
                before = _count(client, key)
                answer = _create(client, key, 20_000)
                assert answer.status_code in (201, 507), answer.text
                if answer.status_code == 507:
                    refused = answer
                    break
            assert refused is not None, "the disk never filled"
            assert "disk" in refused.json() and "full" in refused.json() and "nothing was stored" in refused.json()
            assert _count(client, key) == before  # nothing partial
            read = client.get(f"/api/v1/campaigns/{campaign}", headers={"Authorization": f"Bearer {key}"})
            assert read.status_code == 200 and read.json()["status"] == "running"  # it was dialling when the disk filled
            with client.stream("GET", f"/api/v1/campaigns/{campaign}/events", headers={"Authorization": f"Bearer {key}"}) as events:
                assert events.status_code == 200
                assert next(line for line in events.iter_lines() if line.startswith("data:"))  # it streams what it reads
            assert "disk full: database or disk is full" in (tmp_path / "server.log").read_text()
            jail.run(f"rm {jail.disk}/ballast")  # the operator frees space
            assert _create(client, key, 3).status_code == 201
            _finished(client, key, campaign)
        checked = jail.run(
            f"{BIN / 'python'} -c \"import glob, sqlite3; print(set(sqlite3.connect(f).execute('PRAGMA integrity_check')"
            f".fetchone()[0] for f in glob.glob('{data}/accounts/*.db')))\""
        )  # fmt: skip
        assert checked.strip() == "{'ok'}"
    finally:
        os.kill(pid, signal.SIGTERM)


def test_a_read_only_data_directory_answers_503_and_recovers(jail: Jail, tmp_path: Path) -> None:
    data = jail.disk / "data"
    keys = {name: jail.run(f"{BIN / 'hub'} keys create --account {name} --data-dir {data} | tail -1").strip()
            for name in ("ro-dialled", "ro-api")}  # fmt: skip
    # one open account database at a time: every switch reopens, through the read-only mount
    base, pid = _serve_in(jail, data, tmp_path / "server.log", HUB_OPEN_ACCOUNTS="1")
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            campaign = _running(client, keys["ro-dialled"])
            before = _count(client, keys["ro-api"])
            jail.read_only(data)
            # another account's request closes ro-api's database: it is opened again, read-only
            read = client.get(f"/api/v1/campaigns/{campaign}", headers={"Authorization": f"Bearer {keys['ro-dialled']}"})
            assert read.status_code in (200, 503), read.text
            refused = _create(client, keys["ro-api"], 3)
            assert refused.status_code == 503, refused.text
            assert "read-only" in refused.json() and refused.headers["retry-after"] == "30"
            assert "read-only: " in (tmp_path / "server.log").read_text()
            jail.run(f"mount -o remount,bind,rw {data}")  # writable again
            assert _create(client, keys["ro-api"], 3).status_code == 201
            assert _count(client, keys["ro-api"]) == before + 1
            _finished(client, keys["ro-dialled"], campaign)
    finally:
        os.kill(pid, signal.SIGTERM)
    time.sleep(1)
    jail.read_only(data)
    refusal = jail.run(f"{BIN / 'hub'} serve --port {free_port()} --data-dir {data}; echo exit $?", check=False)
    assert refusal.strip().splitlines()[-2:] == [
        f"hub: data directory {data} is not writable: Read-only file system", "exit 2"]  # fmt: skip


def test_a_database_busy_past_its_timeout_answers_503_and_recovers(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key = _key(data_dir, "busy")
    env = {"HUB_PEPPER": PEPPER, "HUB_SIM_TIME_SCALE": "60", "HUB_BUSY_TIMEOUT": "1"}
    with serving(data_dir, env) as (base, log), httpx.Client(base_url=base, timeout=60) as client:
        campaign = _running(client, key)
        before = _count(client, key)
        holder = sqlite3.connect(data_dir / "accounts" / "busy.db", isolation_level=None, timeout=30)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        refused = _create(client, key, 3)
        holder.execute("ROLLBACK")
        holder.close()
        assert refused.status_code == 503, refused.text
        assert "busy" in refused.json() and "database is locked" in refused.json() and refused.headers["retry-after"] == "1"
        assert "busy: database is locked" in log.read_text()
        assert _count(client, key) == before
        assert _create(client, key, 3).status_code == 201
        _finished(client, key, campaign)


def test_the_open_file_limit_answers_503_and_recovers(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    keys = {f"files{n}": "" for n in range(60)}
    with Stores(data_dir) as stores:
        for account in keys:
            keys[account] = auth.create_key(stores.system, PEPPER, account=account)[1]
    env = {"HUB_PEPPER": PEPPER, "HUB_SIM_TIME_SCALE": "60", "HUB_OPEN_ACCOUNTS": "200", "HUB_MAX_CONNECTIONS": "500",
           "HUB_INGEST_WORKERS": "0"}  # the bounds set above what 96 files allow  # fmt: skip
    with serving(data_dir, env, open_files=96) as (base, log), httpx.Client(base_url=base, timeout=60) as client:
        campaign = _running(client, keys["files0"])
        answers = {account: _create(client, key, 3) for account, key in list(keys.items())[1:]}
        assert {a.status_code for a in answers.values()} <= {201, 503}
        refused = [a for a in answers.values() if a.status_code == 503]
        assert refused, "the open-file limit was never reached"
        assert all("open-file limit" in a.json() and a.headers["retry-after"] == "5" for a in refused)
        assert "open-file limit: " in log.read_text()
        resource.prlimit(PROCESSES[base].pid, resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        again = {account: _create(client, keys[account], 3) for account, a in answers.items() if a.status_code == 503}
        assert {a.status_code for a in again.values()} == {201}
        for account in again:
            assert _count(client, keys[account]) == 1  # the refused create stored nothing: one campaign, not two
        _finished(client, keys["files0"], campaign)
