"""The lifecycle against real `hub serve` processes: events over HTTP, SIGKILL and restart, one
dispatcher per data directory."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.servers import BIN, free_port, hub, serving
from tests.conftest import AGENT, NUMBER_ID

pytestmark = pytest.mark.live

ENV = {"HUB_PEPPER": "live-lifecycle", "HUB_EVENTS_INTERVAL": "0.2", "HUB_EVENTS_HEARTBEAT": "0.5"}


def mint(data_dir: Path) -> str:
    return hub("keys", "create", "--account", "acme", "--data-dir", str(data_dir), env=ENV).stdout.split()[-1]


def create(base: str, key: str, count: int, **fields: Any) -> str:
    csv = "phone_number\n" + "".join(f"+1415{2000000 + i:07d}\n" for i in range(count))
    response = httpx.post(
        f"{base}/api/v1/campaigns",
        headers={"Authorization": f"Bearer {key}"},
        data={"name": "live", "agent_id": AGENT, "phone_number_id": NUMBER_ID, **{k: str(v) for k, v in fields.items()}},
        files={"contacts": ("c.csv", csv.encode(), "text/csv")},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def post(base: str, key: str, path: str) -> httpx.Response:
    return httpx.post(f"{base}{path}", headers={"Authorization": f"Bearer {key}"})


def events(base: str, key: str, campaign_id: str, seconds: float = 30) -> Iterator[str]:
    """The raw lines of a campaign's event stream."""
    with httpx.stream(
        "GET", f"{base}/api/v1/campaigns/{campaign_id}/events",
        headers={"Authorization": f"Bearer {key}"}, timeout=seconds,
    ) as response:  # fmt: skip
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield from response.iter_lines()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path_factory.mktemp("events") / "data"
    key = mint(data_dir)
    with serving(data_dir, ENV, "--sim-time-scale", "600", "--sim-seed", "3") as (base, _log):
        yield base, key


def test_events_stream_a_campaign_to_its_end(live: tuple[str, str]) -> None:
    base, key = live
    campaign_id = create(base, key, 8, retries_per_contact=1, retry_delay_seconds=60)
    lines = events(base, key, campaign_id)
    first = next(lines)
    assert first.startswith("data: ")
    assert json.loads(first[6:])["status"] == "draft"
    seen: list[str] = []
    for line in lines:  # a heartbeat comes while the draft waits
        seen.append(line)
        if line == ": heartbeat":
            break
    assert post(base, key, f"/api/v1/campaigns/{campaign_id}/start").status_code == 200
    for line in lines:
        seen.append(line)
    frames = [json.loads(line[6:]) for line in seen if line.startswith("data: ")]
    assert [line for line in seen if line][-2] == "event: end"  # the last frame, then the close
    last = frames[-1]
    assert frames[-2] == last  # the end event repeats the final snapshot
    assert last["status"] == "completed" and last["total"] == 8
    assert sum(last["counts"].values()) == 8 and last["in_flight"] == 0
    assert last["counts"]["pending"] == 0 and last["counts"]["dialing"] == 0
    assert 8 <= last["attempts"] <= 16
    assert {"campaign_id", "status", "total", "counts", "in_flight", "attempts", "at"} <= set(last)
    assert any(f["status"] == "running" for f in frames)


def test_a_finished_campaign_gets_one_snapshot_and_end(live: tuple[str, str]) -> None:
    base, key = live
    campaign_id = create(base, key, 1)
    post(base, key, f"/api/v1/campaigns/{campaign_id}/start")
    post(base, key, f"/api/v1/campaigns/{campaign_id}/stop")
    lines = [line for line in events(base, key, campaign_id) if line]
    assert len(lines) == 3 and lines[0].startswith("data: ") and lines[1] == "event: end"
    assert json.loads(lines[0][6:])["status"] == "completed"


def test_the_readme_walkthrough_pause_resume_failed_contacts(live: tuple[str, str]) -> None:
    base, key = live
    campaign_id = create(base, key, 30, max_concurrent_calls=2, retries_per_contact=0)
    headers = {"Authorization": f"Bearer {key}"}
    assert post(base, key, f"/api/v1/campaigns/{campaign_id}/start").json()["status"] == "running"
    assert post(base, key, f"/api/v1/campaigns/{campaign_id}/pause").json()["status"] == "paused"
    assert post(base, key, f"/api/v1/campaigns/{campaign_id}/resume").json()["status"] == "running"
    deadline = time.monotonic() + 30
    while httpx.get(f"{base}/api/v1/campaigns/{campaign_id}", headers=headers).json()["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    failed = httpx.get(f"{base}/api/v1/campaigns/{campaign_id}/contacts?status=failed", headers=headers).json()
    assert all(c["status"] == "failed" and c["attempts"] == 1 for c in failed["contacts"])
    assert_error = post(base, key, f"/api/v1/campaigns/{campaign_id}/stop")
    assert assert_error.status_code == 409


def _campaign_status(data_dir: Path, campaign_id: str) -> str:
    with sqlite3.connect(data_dir / "accounts" / "acme.db") as conn:
        return str(conn.execute("SELECT status FROM campaigns WHERE id = ?", [campaign_id]).fetchone()[0])


def test_sigkill_mid_campaign_and_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key = mint(data_dir)
    port = free_port()
    command = [str(BIN / "hub"), "serve", "--port", str(port), "--data-dir", str(data_dir), "--sim-time-scale", "60"]
    env = {**os.environ, **ENV, "HUB_SIM_OUTCOMES": "completed=0.3,no_answer=0.4,busy=0.2,failed=0.1"}
    with open(tmp_path / "first.log", "w") as log:
        first = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base)
        campaign_id = create(base, key, 150, max_concurrent_calls=10, retries_per_contact=2, retry_delay_seconds=60)
        post(base, key, f"/api/v1/campaigns/{campaign_id}/start")
        deadline = time.monotonic() + 30
        while _attempts(data_dir) < 30:  # well into the campaign, calls in flight
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    in_flight_at_crash = _in_flight(data_dir)
    assert in_flight_at_crash > 0 and _campaign_status(data_dir, campaign_id) == "running"

    with serving(data_dir, {**ENV, "HUB_SIM_OUTCOMES": env["HUB_SIM_OUTCOMES"]}, "--sim-time-scale", "600"):
        deadline = time.monotonic() + 60
        while _campaign_status(data_dir, campaign_id) != "completed":
            assert time.monotonic() < deadline, "the campaign did not finish after the restart"
            time.sleep(0.1)

    with sqlite3.connect(data_dir / "accounts" / "acme.db") as conn:
        contacts = conn.execute("SELECT id, status, attempts FROM contacts").fetchall()
        calls = conn.execute(
            "SELECT contact_id, started_at, ended_at, outcome, duration_seconds FROM calls ORDER BY started_at"
        ).fetchall()
    assert len(contacts) == 150
    assert all(status in {"completed", "no_answer", "busy", "failed"} for _i, status, _a in contacts)
    assert all(1 <= attempts <= 3 for _i, _s, attempts in contacts)
    by_contact: dict[int, list[tuple[str, str]]] = {}
    for contact_id, started, ended, _outcome, _duration in calls:
        assert ended is not None
        by_contact.setdefault(contact_id, []).append((started, ended))
    for contact_id, _status, attempts in contacts:
        spans = by_contact[contact_id]
        assert len(spans) == attempts  # every attempt recorded, none made twice
        for (_s1, end1), (start2, _e2) in zip(spans, spans[1:]):
            assert start2 >= end1  # no two attempts on one contact overlapped
    # the calls in flight at the crash were settled as failed, with no time billed
    lost = [c for c in calls if c[3] == "failed" and c[4] == 0.0]
    assert len(lost) == in_flight_at_crash


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/openapi.json")
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def _attempts(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "accounts" / "acme.db") as conn:
        return int(conn.execute("SELECT count(*) FROM calls").fetchone()[0])


def _in_flight(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "accounts" / "acme.db") as conn:
        return int(conn.execute("SELECT count(*) FROM contacts WHERE status = 'dialing'").fetchone()[0])


def test_a_second_server_on_the_same_data_refuses_to_dispatch(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    mint(data_dir)
    with serving(data_dir, ENV):
        second = subprocess.run(
            [str(BIN / "hub"), "serve", "--port", str(free_port()), "--data-dir", str(data_dir)],
            env={**os.environ, **ENV}, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert second.returncode != 0
        assert "another server" in second.stdout + second.stderr
        with serving(data_dir, {**ENV, "HUB_DISPATCH": "0"}) as (base, _log):
            assert httpx.get(f"{base}/openapi.json").status_code == 200


def test_a_draft_deleted_while_watched_ends_the_stream(live: tuple[str, str]) -> None:
    base, key = live
    campaign_id = create(base, key, 1)
    lines = events(base, key, campaign_id)
    assert json.loads(next(lines)[6:])["status"] == "draft"
    assert httpx.delete(f"{base}/api/v1/campaigns/{campaign_id}", headers={"Authorization": f"Bearer {key}"}).status_code == 204
    rest = [line for line in lines if line and line != ": heartbeat"]
    assert rest[-2:] == ["event: end", 'data: {"status": "deleted"}']
