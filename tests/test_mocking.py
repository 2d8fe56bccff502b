"""Answers from the spec: `Prefer: code=` / `example=` in dev mode (ignored outside it), the
mocker's choice of response and body, and empty optional form fields taken as not given."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kataven_hub import openapi
from kataven_hub.app import create_app
from kataven_hub.errors import InvalidInput
from kataven_hub.mock.mocker import Mocker, preferences
from kataven_hub.settings import DEFAULT_SPEC
from tests.conftest import Hub, make_settings

MISSING = "0b6f5a4e-2f7d-4c1a-9e53-7d2c8a1b9f10"


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Hub]:
    settings = make_settings(tmp_path / "data", dev=True)
    with create_app(settings).test_client() as client:
        yield Hub(settings, client)


def call(hub: Hub, method: str, path: str, prefer: str | None = None, key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key or hub.key()}"}
    if prefer is not None:
        headers["Prefer"] = prefer
    return hub.client.request(method, path, headers=headers)


@pytest.mark.parametrize(
    ("method", "path", "prefer", "status", "body"),
    [
        ("GET", f"/api/v1/campaigns/{MISSING}", "code=404", 404, "Campaign not found"),
        ("POST", f"/api/v1/campaigns/{MISSING}/start", "code=409", 409,
         "cannot pause campaign in status 'draft': pause moves 'running' to 'paused'"),
        ("POST", f"/api/v1/campaigns/{MISSING}/start", "code=409, example=budget", 409,
         "concurrency budget exceeded: running and scheduled campaigns hold 8 of the account's concurrent_max 10;"
         " this campaign needs 5"),
        ("GET", "/api/v1/campaigns", "code=500", 500, "Database error"),
        ("GET", "/api/v1/campaigns", 'code="500"; handling=lenient', 500, "Database error"),
        ("GET", "/api/v1/call-limits", "code=200", 200, None),
    ],
)  # fmt: skip
def test_prefer_forces_a_documented_answer_in_dev_mode(
    dev: Hub, method: str, path: str, prefer: str, status: int, body: Any
) -> None:
    response = call(dev, method, path, prefer)
    assert response.status_code == status
    assert response.headers["x-hub-mock"] in ("example", "generated")
    if body is not None:
        assert response.json() == body
    else:  # no example: a generated body, which response validation (on in tests) let through
        assert set(response.json()) == {"concurrent_max", "calls_per_minute", "daily_calls_max", "daily_minutes_max"}


def test_a_forced_create_stores_nothing_and_still_validates_the_request(dev: Hub) -> None:
    key = dev.key()
    forced = dev.create(key, headers={"Prefer": "code=201"})
    assert forced.status_code == 201 and forced.headers["x-hub-mock"] == "example"
    assert dev.rows("acme", "campaigns") == []
    invalid = dev.create(key, headers={"Prefer": "code=201"}, retry_delay_seconds=5)
    assert invalid.status_code == 400 and "x-hub-mock" not in invalid.headers


def test_prefer_comes_after_auth(dev: Hub) -> None:
    response = dev.client.get("/api/v1/campaigns", headers={"Prefer": "code=500"})
    assert response.status_code == 401 and "x-hub-mock" not in response.headers


@pytest.mark.parametrize(
    ("prefer", "says"),
    [
        ("code=299", "Prefer: code=299 is not documented for getApiV1Campaigns; documented: 200, 400, 401, 403, 429, 500, 503, 507"),
        ("code=abc", "Prefer: code=abc is not a status code"),
        ("code=409, example=nope", "Prefer: example=nope is not an example of the 409 response of"
                                   " postApiV1CampaignsIdStart; its examples: state, budget"),
    ],
)  # fmt: skip
def test_a_preference_that_cannot_be_met_is_a_400_that_says_why(dev: Hub, prefer: str, says: str) -> None:
    path = "/api/v1/campaigns" if "409" not in prefer else f"/api/v1/campaigns/{MISSING}/start"
    response = call(dev, "POST" if "409" in prefer else "GET", path, prefer)
    assert (response.status_code, response.json()) == (400, says)


def test_outside_dev_mode_prefer_is_ignored(hub: Hub) -> None:
    assert call(hub, "GET", f"/api/v1/campaigns/{MISSING}", "code=200").status_code == 404
    listed = call(hub, "GET", "/api/v1/campaigns", "code=500")
    assert listed.status_code == 200 and "x-hub-mock" not in listed.headers
    assert call(hub, "GET", "/api/v1/campaigns", "code=299").status_code == 200


def test_unknown_preferences_are_ignored(dev: Hub) -> None:
    response = call(dev, "GET", "/api/v1/campaigns", "return=minimal, respond-async")
    assert response.status_code == 200 and "x-hub-mock" not in response.headers


def test_preferences_follow_rfc_7240() -> None:
    assert preferences(['code=404, example="not found"; x=1', "dynamic=true"]) == {
        "code": "404", "example": "not found", "dynamic": "true",
    }  # fmt: skip
    assert preferences(["Code=500", "code=404"]) == {"code": "500"}  # the first of a repeated preference


def test_the_mocker_answers_the_lowest_2xx_and_204_without_a_body() -> None:
    mocker = Mocker(openapi.operations(openapi.load(DEFAULT_SPEC)))
    created = mocker.answer("postApiV1Campaigns")
    assert created.status_code == 201 and created.headers["x-hub-mock"] == "example"
    deleted = mocker.answer("deleteApiV1CampaignsId")
    assert deleted.status_code == 204 and deleted.body == b""
    with pytest.raises(InvalidInput, match="documented: 204, 400, 401, 403, 404, 409, 429, 500"):
        mocker.answer("deleteApiV1CampaignsId", code=200)


def test_empty_optional_form_fields_take_their_defaults(hub: Hub) -> None:
    response = hub.create(hub.key(), scheduled_at="", retries_per_contact="", max_concurrent_calls="")
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert (campaign["retries_per_contact"], campaign["max_concurrent_calls"]) == (0, 5)
    assert "scheduled_at" not in campaign


@pytest.mark.parametrize("field", ["name", "agent_id", "phone_number_id"])
def test_a_required_form_field_sent_empty_is_still_a_400(hub: Hub, field: str) -> None:
    response = hub.create(hub.key(), **{field: ""})
    assert response.status_code == 400 and response.json().startswith(f"{field}: ")
    assert hub.rows("acme", "campaigns") == []
