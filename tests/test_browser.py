"""A newcomer's first calls, in a real browser: Swagger UI in headless Chromium (Debian's, driven by
Playwright), against a live server, with a key of an account that is not `demo`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from support.servers import hub, serving
from tests.conftest import REPORTS
from tests.helpers import SPECS

pytestmark = [pytest.mark.live, pytest.mark.browser]

AGENT = "3f1c2b9e-8d4a-4f6e-9b7a-2c5d8e1f0a34"
NUMBER_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def authorize(page: Page, key: str) -> None:
    page.get_by_role("button", name="Authorize").first.click()
    page.get_by_label("auth-bearer-value").fill(key)
    # Swagger UI 5 names the dialog's buttons by what they do: "Authorize" is "Apply credentials", "Logout" is
    # "Remove authorization" (their aria-label)
    page.get_by_role("button", name="Apply credentials").click()
    expect(page.get_by_role("button", name="Remove authorization")).to_be_visible()
    page.get_by_role("button", name="Close").click()


def try_it_out(page: Page, operation_id: str, tag: str = "Campaigns") -> Locator:
    operation = page.locator(f"#operations-{tag}-{operation_id}")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    return operation


def execute(operation: Locator) -> Locator:
    """Execute, and the live response's status cell once it is there."""
    operation.get_by_role("button", name="Execute").click()
    return operation.locator(".live-responses-table tbody .response-col_status").first


def test_a_newcomer_creates_lists_and_starts_a_campaign_in_swagger_ui(tmp_path: Path, browser: Browser) -> None:
    env = {"HUB_PEPPER": "browser"}
    data_dir = tmp_path / "data"
    key = hub("keys", "create", "--account", "frontend", "--data-dir", str(data_dir), env=env).stdout.split()[-1]
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("phone_number,first_name\n+14155552671,Ada\n+442079460958,Alan\n")
    with serving(data_dir, env, "--dev") as (base, log):
        page = browser.new_page(viewport={"width": 1280, "height": 2200})
        page.goto(f"{base}/ui/")
        authorize(page, key)

        create = try_it_out(page, "postApiV1Campaigns")
        body = create.locator(".opblock-section-request-body")
        body.locator('tr[data-property-name="name"] input[type=text]').fill("Browser campaign")
        body.locator('tr[data-property-name="agent_id"] input[type=text]').fill(AGENT)
        body.locator('tr[data-property-name="phone_number_id"] input[type=text]').fill(NUMBER_ID)
        body.locator('tr[data-property-name="contacts"] input[type=file]').set_input_files(str(contacts))
        # Swagger UI 5 fills each optional field with a sample; scheduled_at's is when the page loaded, past once sent
        body.locator('tr[data-property-name="scheduled_at"] input[type=text]').clear()
        created = execute(create)
        expect(created).to_have_text("201", timeout=15_000)
        answer = create.locator(".live-responses-table tbody .response-col_description pre").first.inner_text()
        campaign_id = answer.split('"id": "')[1].split('"')[0]
        REPORTS.mkdir(exist_ok=True)
        create.screenshot(path=str(REPORTS / "swagger-ui-create.png"))

        listing = try_it_out(page, "getApiV1Campaigns")
        expect(execute(listing)).to_have_text("200", timeout=15_000)
        expect(listing.locator(".live-responses-table")).to_contain_text("Browser campaign")

        start = try_it_out(page, "postApiV1CampaignsIdStart")
        start.locator('tr[data-param-name="id"] input').fill(campaign_id)
        expect(execute(start)).to_have_text("200", timeout=15_000)
        expect(start.locator(".live-responses-table")).to_contain_text('"status": "running"')
    assert "Traceback" not in log.read_text()


def test_swagger_ui_renders_a_31_document_its_operations_and_its_webhook(tmp_path: Path, browser: Browser) -> None:
    document = SPECS / "webhooks-3.1.yaml"  # type: [string, "null"], const, examples, a webhook and a callback
    with serving(tmp_path / "data", {}, "--dev", "--spec", str(document)) as (base, log):
        assert httpx.get(f"{base}/openapi.json").json()["openapi"] == "3.1.0"
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/ui/")
        for operation in ("createSubscription", "listSubscriptions", "getSubscription"):
            expect(page.locator(f"#operations-default-{operation}")).to_be_visible(timeout=15_000)
        expect(page.locator("#operations-webhooks-newPetWebhook")).to_be_visible()
        REPORTS.mkdir(exist_ok=True)
        page.screenshot(path=str(REPORTS / "swagger-ui-openapi-3.1.png"))
        assert errors == []
    assert "Traceback" not in log.read_text()
