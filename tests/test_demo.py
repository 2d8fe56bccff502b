"""`hub demo`: campaigns in every status reached through the domain, deterministic for a seed,
added once; and on a live dev server's first start, the `demo` account filled and moving."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kataven_hub import campaigns, demo
from kataven_hub.campaigns import CONTACT_STATUSES
from kataven_hub.storage import Stores
from support.servers import hub, serving

STATUSES = {"draft", "scheduled", "running", "paused", "completed", "failed"}


def _fill(data_dir: Path, seed: int = 0) -> list[dict[str, Any]]:
    with Stores(data_dir) as stores:
        return demo.fill(stores, "acme", seed=seed)


def _contacts(data_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """Campaign name -> (number, status) of its contacts."""
    with Stores(data_dir) as stores, stores.account("acme") as db:
        found = {}
        for campaign in campaigns.list_campaigns(db)["campaigns"]:
            pages = [campaigns.list_contacts(db, campaign["id"], None, page) for page in range(20)]
            found[campaign["name"]] = [(c["phone_number"], c["status"]) for p in pages for c in p["contacts"]]
        return found


def test_every_status_is_reached_through_the_domain(tmp_path: Path) -> None:
    made = _fill(tmp_path / "data")
    assert {c["status"] for c in made} == STATUSES and len(made) == 6
    contacts = _contacts(tmp_path / "data")
    done = next(v for k, v in contacts.items() if "Spring renewals" in k)
    assert {s for _, s in done} == {"completed", "no_answer", "busy", "failed", "skipped"}
    paused = next(v for k, v in contacts.items() if "part called" in k)
    assert {"pending", "completed"} <= {s for _, s in paused}
    assert all(name.startswith(demo.PREFIX) for name in contacts)
    countries = {number[:3] for numbers in contacts.values() for number, _ in numbers}
    assert {"+14", "+44", "+49", "+33", "+61"} <= countries


def test_a_seed_gives_the_same_data_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    one, two = _fill(tmp_path / "one", seed=3), _fill(tmp_path / "two", seed=3)
    assert [c["id"] for c in one] == [c["id"] for c in two]
    assert _contacts(tmp_path / "one") == _contacts(tmp_path / "two")
    _fill(tmp_path / "three", seed=4)
    assert _contacts(tmp_path / "one") != _contacts(tmp_path / "three")
    assert _fill(tmp_path / "one", seed=3) == []


@pytest.mark.live
def test_the_first_dev_start_fills_the_demo_account_and_it_moves(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with serving(data_dir, {}, "--dev", "--sim-time-scale", "60") as (base, log):
        key = re.search(r"sk_live_demo_\w+", log.read_text())
        assert key and "The account holds 6 demo campaigns, one in every status" in log.read_text()
        with httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {key.group(0)}"}) as client:
            listed = client.get("/campaigns").json()["campaigns"]
            assert {c["status"] for c in listed} == STATUSES
            running = next(c["id"] for c in listed if c["status"] == "running")
            first = client.get(f"/campaigns/{running}").json()
            assert first["status"] == "running"

            def counts() -> dict[str, int]:
                statuses = {}
                for status in CONTACT_STATUSES:
                    totals = [client.get(f"/campaigns/{c['id']}/contacts", params={"status": status}).json()["total"]
                              for c in listed]  # fmt: skip
                    statuses[status] = sum(totals)
                return statuses

            before = counts()
            deadline = time.monotonic() + 30
            while (after := counts()) == before or not after["dialing"]:
                assert time.monotonic() < deadline, "the running demo campaign did not move"
                time.sleep(0.5)
            assert all(after[status] > 0 for status in CONTACT_STATUSES), after  # every contact status
    assert "Traceback" not in log.read_text()


def test_reset_with_demo_refills(tmp_path: Path) -> None:
    env = {"HUB_PEPPER": "demo"}
    data_dir = tmp_path / "data"
    first = hub("demo", "--account", "e2e", "--data-dir", str(data_dir), env=env).stdout
    assert len(first.splitlines()) == 6
    assert "has the demo campaigns already" in hub("demo", "--account", "e2e", "--data-dir", str(data_dir), env=env).stdout
    again = hub("reset", "--account", "e2e", "--demo", "--data-dir", str(data_dir), env=env).stdout
    assert again.startswith("reset account e2e: deleted 6 campaign(s)") and len(again.splitlines()) == 7
    replaced = hub("demo", "--account", "e2e", "--replace", "--data-dir", str(data_dir), env=env).stdout
    assert len(replaced.splitlines()) == 6
