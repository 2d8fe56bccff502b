"""The campaign console in headless Chromium (Playwright) against a live dev server with a fast
simulated carrier: create from a CSV, start, watch the bars move, pause, resume, see the end; what
the console used of the document (`--record`) is already in the committed `consumers/console.json`."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, expect

from support.servers import hub, serving
from tests.conftest import REPORTS
from tests.helpers import assert_recorded_is_committed

pytestmark = [pytest.mark.live, pytest.mark.browser]

CSV = "phone_number,first_name\n" + "".join(f"+1415555{2100 + i},Person {i}\n" for i in range(60))


def counts(row: Locator) -> dict[str, int]:
    return dict(json.loads(row.locator(".bar").get_attribute("data-counts") or "{}"))


def test_a_campaign_watched_live_in_the_console(tmp_path: Path, browser: Browser) -> None:
    env = {"HUB_PEPPER": "console", "HUB_EVENTS_INTERVAL": "0.5"}
    data_dir = tmp_path / "data"
    key = hub("keys", "create", "--account", "console", "--data-dir", str(data_dir), env=env).stdout.split()[-1]
    (tmp_path / "contacts.csv").write_text(CSV)
    (tmp_path / "bad.csv").write_text("phone_number\nnot-a-number\n")
    record = tmp_path / "consumers"
    with serving(data_dir, env, "--dev", "--sim-time-scale", "60", "--record", str(record)) as (base, log):
        page = browser.new_page(viewport={"width": 1400, "height": 700})
        page.goto(f"{base}/console/")
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Use key").click()

        page.get_by_label("Campaign name").fill("Console campaign")
        page.get_by_label("Contacts CSV").set_input_files(str(tmp_path / "bad.csv"))
        page.get_by_role("button", name="Create").click()
        expect(page.get_by_role("alert")).to_have_text("contacts line 2: 'not-a-number' is not a phone number")

        page.get_by_label("Campaign name").fill("Console campaign")
        page.get_by_label("Contacts CSV").set_input_files(str(tmp_path / "contacts.csv"))
        page.get_by_role("button", name="Create").click()
        row = page.locator("#campaigns tr", has_text="Console campaign")
        expect(row.locator(".status")).to_have_text("draft")
        expect(row.get_by_role("button", name="pause")).to_be_disabled()

        row.get_by_role("button", name="start").click()
        expect(row.locator(".status")).to_have_text("running")
        expect(row.get_by_role("button", name="start")).to_be_disabled()
        _until(lambda: counts(row).get("pending", 60) <= 50)  # the bars move, from the stream
        REPORTS.mkdir(exist_ok=True)
        page.screenshot(path=str(REPORTS / "console-running.png"))

        row.get_by_role("button", name="pause").click()
        expect(row.locator(".status")).to_have_text("paused")
        _until(lambda: counts(row).get("dialing", 0) == 0)  # the calls in flight end; no new ones
        paused = counts(row)
        time.sleep(2)  # several snapshots later
        assert counts(row) == paused

        row.get_by_role("button", name="resume").click()
        expect(row.locator(".status")).to_have_text("completed (ended)", timeout=90_000)  # event: end
        final = counts(row)
        assert final.get("pending", 0) == 0 and sum(final.values()) == 60
        for action in ("start", "pause", "resume", "stop", "delete"):
            expect(row.get_by_role("button", name=action)).to_be_disabled()

        row.get_by_role("button", name="contacts").click()  # the contacts table, filtered and paged
        expect(page.locator("#page")).to_have_text("page 1 of 1")
        expect(page.locator("#contacts tbody tr")).to_have_count(60)
        page.get_by_label("Status").select_option("completed")
        expect(page.locator("#contacts tbody tr")).to_have_count(final["completed"])
        statuses = page.locator("#contacts tbody tr td:nth-child(3)").all_inner_texts()
        assert set(statuses) == {"completed"}
    assert "Traceback" not in log.read_text()
    assert_recorded_is_committed(record, dict(os.environ))


def _until(check: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.2)
