"""The end-to-end tests a frontend team writes against this server (the example of docs/guides/frontend/control-surface.md): each test
takes a fresh account from the control surface, so parallel workers never meet; time is moved,
not waited for. Headless Chromium (Debian's), driven by Playwright, against a live dev server; the
console's requests are recorded (`--record`), and must be in the committed `consumers/console.json`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from support.servers import serving
from tests.helpers import SPECS, assert_recorded_is_committed

pytestmark = [pytest.mark.live, pytest.mark.browser]
CONTACTS = "phone_number,first_name\n" + "".join(f"+1415555{3000 + i},Person {i}\n" for i in range(40))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    flags = ("--dev", "--record", str(tmp_path / "consumers"))
    with serving(tmp_path / "data", {"HUB_EVENTS_INTERVAL": "0.5", "HUB_SIM_SEED": "7"}, *flags) as (base, _log):
        yield base


def fresh_account(base: str) -> dict[str, str]:
    """One account and its key for this test alone: `POST /_hub/accounts`."""
    return httpx.post(f"{base}/_hub/accounts").json()  # type: ignore[no-any-return]


def move_clock(base: str, account: str, seconds: float) -> dict[str, Any]:
    """The account's clock `seconds` forward; the dispatcher's rounds in between have run on return."""
    return httpx.post(f"{base}/_hub/accounts/{account}/clock", json={"seconds": seconds}).json()  # type: ignore[no-any-return]


def test_a_campaign_created_in_the_console_completes_when_the_clock_moves(server: str, browser: Browser, tmp_path: Path) -> None:
    account = fresh_account(server)
    (tmp_path / "contacts.csv").write_text(CONTACTS)
    page = browser.new_page()
    page.goto(f"{server}/console/")
    page.get_by_label("API key").fill(account["key"])
    page.get_by_role("button", name="Use key").click()
    page.get_by_label("Campaign name").fill("Launch week")
    page.get_by_label("Contacts CSV").set_input_files(str(tmp_path / "contacts.csv"))
    page.get_by_role("button", name="Create").click()
    row = page.locator("#campaigns tr", has_text="Launch week")
    row.get_by_role("button", name="start").click()
    expect(row.locator(".status")).to_have_text("running")

    move_clock(server, account["account"], 3600)  # an hour of calls, in milliseconds

    expect(row.locator(".status")).to_have_text("completed (ended)", timeout=10_000)
    counts = json.loads(row.locator(".bar").get_attribute("data-counts") or "{}")
    assert sum(counts.values()) == 40 and counts.get("pending", 0) == counts.get("dialing", 0) == 0
    assert counts["completed"] > 0
    assert_recorded_is_committed(tmp_path / "consumers", dict(os.environ))


@pytest.fixture
def petstore(tmp_path: Path) -> Iterator[str]:
    with serving(tmp_path / "data", {"HUB_SPEC": str(SPECS / "petstore-expanded.yaml")}, "--dev") as (base, _log):
        yield base


def fetch(page: Page, method: str, path: str, body: Any = None) -> dict[str, Any]:
    """What the page's own `fetch` gets: status and JSON body (or None)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """async ([method, path, body]) => {
            const answer = await fetch(path, {method, headers: {"Content-Type": "application/json"},
                                              body: body === null ? undefined : JSON.stringify(body)});
            const text = await answer.text();
            return {status: answer.status, body: text ? JSON.parse(text) : null};
        }""",
        [method, path, body],
    )


def test_a_remembered_operation_keeps_what_the_frontend_created(petstore: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{petstore}/ui/")  # any page of the server: the calls below are the page's own
    created = fetch(page, "POST", "/pets", {"name": "Rex", "tag": "dog"})
    assert created["status"] == 200 and created["body"]["name"] == "Rex"  # petstore documents 200 for create
    pet = created["body"]
    assert fetch(page, "GET", f"/pets/{pet['id']}") == {"status": 200, "body": pet}
    assert fetch(page, "GET", "/pets")["body"] == [pet]
    assert fetch(page, "DELETE", f"/pets/{pet['id']}")["status"] == 204
    gone = fetch(page, "GET", f"/pets/{pet['id']}")
    assert gone["status"] == 404
    assert fetch(page, "GET", "/pets")["body"] == []
