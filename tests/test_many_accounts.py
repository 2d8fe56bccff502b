"""Many accounts on one machine: a bounded number of account databases open, an index of the
accounts with work that the dispatcher visits and nothing else, and large uploads in turns."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kataven_hub import campaigns
from kataven_hub.campaigns.turns import LARGE_UPLOAD, IngestTurns
from kataven_hub.dispatch.dialer import SimulatedCarrier
from kataven_hub.dispatch.loop import Dispatcher
from kataven_hub.errors import Unavailable
from kataven_hub.storage import Stores
from kataven_hub.storage.sqlite import stores as opened
from kataven_hub.storage.sqlite.dispatch import has_work
from tests.conftest import AGENT, NUMBER_ID
from tests.helpers import T0


def _draft(stores: Stores, account: str, contacts: int = 3) -> str:
    csv = "phone_number\n" + "".join(f"+1415555{n:04d}\n" for n in range(contacts))
    form = {"name": "n", "agent_id": AGENT, "phone_number_id": NUMBER_ID}
    with stores.account(account) as database:
        created = campaigns.create_campaign(database, form, csv.encode(), created_by="t", region="US", now=T0)
    return str(created["id"])


def _start(stores: Stores, account: str, campaign_id: str) -> None:
    with stores.account(account) as database:
        campaigns.start_campaign(database, campaign_id, now=T0)


class Visits:
    """A dispatcher over the data directory that records which accounts each round works in."""

    def __init__(self, stores: Stores) -> None:
        self.dispatcher = Dispatcher(stores, SimulatedCarrier(seed=1, time_scale=600), time_scale=600)
        self.visited: list[str] = []
        real = self.dispatcher.tick_account

        def spy(database: Any, now: Any) -> bool:
            self.visited.append(database.name)
            return real(database, now)

        self.dispatcher.tick_account = spy  # type: ignore[method-assign]

    def round(self, seconds: float = 0) -> set[str]:
        self.visited.clear()
        self.dispatcher.tick(T0 + timedelta(seconds=seconds))
        return set(self.visited)


def test_at_most_max_open_account_databases_are_open(tmp_path: Path) -> None:
    with Stores(tmp_path, max_open=3) as stores:
        for n in range(10):
            with stores.account(f"a{n}") as database, database.read() as conn:
                assert conn.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 0
            assert stores.open_count() <= 3
        assert len(stores.account_names()) == 10


def test_a_database_in_use_is_never_closed(tmp_path: Path) -> None:
    with Stores(tmp_path, max_open=2) as stores, stores.account("held") as held:
        campaign_id = _draft(stores, "held")
        for n in range(5):  # the held one is the least recently used, and stays open
            _draft(stores, f"other{n}")
        with held.read() as conn:
            assert conn.execute("SELECT id FROM campaigns").fetchone()[0] == campaign_id
        assert stores.open_count() == 2


def test_when_every_open_database_is_in_use_a_request_waits_then_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(opened, "OPEN_WAIT", 0.3)
    with Stores(tmp_path, max_open=1) as stores:
        with stores.account("busy"):
            with pytest.raises(Unavailable, match="all 1 open account databases are in use"):
                with stores.account("another"):
                    pass
        released = threading.Event()

        def hold() -> None:
            with stores.account("busy"):
                released.wait(5)

        holder = threading.Thread(target=hold)
        holder.start()
        threading.Timer(0.1, released.set).start()
        with stores.account("another") as database:  # waits for the holder, then opens
            assert database.name == "another"
        holder.join()


def test_the_dispatcher_visits_only_accounts_with_work(tmp_path: Path) -> None:
    with Stores(tmp_path) as stores:
        for n in range(20):
            _draft(stores, f"idle{n}")  # drafts: no work
        working = _draft(stores, "working")
        _start(stores, "working", working)
        assert stores.work.accounts() == ["working"]
        visits = Visits(stores)
        assert visits.round() == {"working"}
        seconds = 0
        while stores.work.accounts():  # the campaign finishes; the account leaves the index
            seconds += 60
            assert visits.round(seconds) <= {"working"}
        with stores.account("working") as database:
            assert campaigns.get_campaign(database, working)["status"] == "completed"
        assert visits.round(seconds + 60) == set()


def test_a_paused_campaign_leaves_the_index_and_resuming_puts_it_back(tmp_path: Path) -> None:
    with Stores(tmp_path) as stores:
        campaign_id = _draft(stores, "acme")
        _start(stores, "acme", campaign_id)
        with stores.account("acme") as database:
            campaigns.pause_campaign(database, campaign_id, now=T0)
        visits = Visits(stores)
        assert visits.round() == {"acme"}  # one look: no call was in flight, nothing to do
        assert stores.work.accounts() == []
        assert visits.round() == set()
        with stores.account("acme") as database:
            campaigns.resume_campaign(database, campaign_id, now=T0)
        assert stores.work.accounts() == ["acme"]
        assert visits.round() == {"acme"}


def test_a_crash_between_the_index_write_and_the_account_write_is_repaired_at_start(tmp_path: Path) -> None:
    """The index is written inside the account's transaction, before its commit: a crash there
    leaves an account in the index whose start never happened. Start-up drops it."""
    with Stores(tmp_path) as stores:
        campaign_id = _draft(stores, "ghost")
        with stores.account("ghost") as database:
            with pytest.raises(RuntimeError), database.write() as conn:
                conn.execute("UPDATE campaigns SET status = 'running' WHERE id = ?", [campaign_id])
                database.mark_work()
                raise RuntimeError("the process dies here")  # the account's write rolls back
        assert stores.work.accounts() == ["ghost"]
    with Stores(tmp_path) as stores:  # the next start
        visits = Visits(stores)
        visits.dispatcher.recover()
        assert stores.work.accounts() == []
        assert visits.round() == set()


def test_an_index_is_built_once_for_a_data_directory_that_had_none(tmp_path: Path) -> None:
    with Stores(tmp_path) as stores:
        running = _draft(stores, "running")
        _start(stores, "running", running)
        _draft(stores, "drafts")
        with stores.system.write() as conn:  # as a data directory from before the index
            conn.execute("DROP TABLE accounts_with_work")
            conn.execute("DROP TABLE hub_state")
            conn.execute("PRAGMA user_version = 1")
    with Stores(tmp_path) as stores:
        assert stores.work.accounts() == []  # migrated, not yet built
        Visits(stores).dispatcher.recover()
        assert stores.work.accounts() == ["running"]
    with Stores(tmp_path) as stores:  # built once: the next start reads only the indexed account
        opened: list[str] = []
        real = stores.account

        def spy(name: str) -> Any:
            opened.append(name)
            return real(name)

        stores.account = spy  # type: ignore[method-assign]
        stores.work.check()
        assert opened == ["running"]


def test_an_indexed_account_whose_file_is_gone_is_dropped(tmp_path: Path) -> None:
    with Stores(tmp_path) as stores:
        gone = _draft(stores, "gone")
        _start(stores, "gone", gone)
    for path in (tmp_path / "accounts").glob("gone.db*"):
        path.unlink()
    with Stores(tmp_path) as stores:
        stores.work.check()
        assert stores.work.accounts() == []
        assert not stores.has_account("gone")


def test_large_uploads_take_turns_and_small_ones_never_wait() -> None:
    async def scenario() -> list[str]:
        turns = IngestTurns(at_once=1, wait=0.3)
        seen: list[str] = []

        async def upload(name: str, size: int, hold: float) -> None:
            try:
                async with turns.turn(size):
                    seen.append(f"{name} in")
                    await asyncio.sleep(hold)
            except Unavailable as err:
                seen.append(f"{name} refused after {err.retry_after}")

        first = asyncio.create_task(upload("first", LARGE_UPLOAD, 1.0))
        await asyncio.sleep(0.05)
        await asyncio.gather(upload("small", LARGE_UPLOAD - 1, 0), upload("second", LARGE_UPLOAD, 0))
        await first
        return seen

    with concurrent.futures.ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever runs here
        seen = thread.submit(asyncio.run, scenario()).result()
    assert seen == ["first in", "small in", "second refused after 1"]


def test_every_account_with_work_is_in_the_index(tmp_path: Path) -> None:
    """The invariant the crash test checks, on a quiet data directory: index == work."""
    with Stores(tmp_path) as stores:
        for n in range(6):
            campaign_id = _draft(stores, f"a{n}")
            if n % 2:
                _start(stores, f"a{n}", campaign_id)
        assert set(stores.work.accounts()) == _with_work(stores)
        assert _with_work(stores) == {"a1", "a3", "a5"}


def _with_work(stores: Stores) -> set[str]:
    found = set()
    for name in stores.account_names():
        with stores.account(name) as database, database.read() as conn:
            if has_work(conn):
                found.add(name)
    return found
