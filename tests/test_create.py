"""POST /api/v1/campaigns over the app's HTTP interface: every rule of contract §2."""

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kataven_hub.campaigns import DEFAULTS
from kataven_hub.campaigns.ingest import MAX_REQUEST_BYTES
from tests.conftest import AGENT, CSV, NUMBER_ID, Hub
from tests.helpers import assert_error

BACKENDS = ("sqlite", "postgres")
"""Each test that uses `hub` runs on both storage drivers (`tests.conftest`)."""


def test_create_answers_a_draft_campaign_with_defaults(hub: Hub) -> None:
    key = hub.key()
    response = hub.create(key)
    assert response.status_code == 201
    campaign = response.json()
    assert campaign == {
        "id": campaign["id"],
        "name": "Spring renewals",
        "agent_id": AGENT,
        "phone_number_id": NUMBER_ID,
        "max_concurrent_calls": 5,
        "retries_per_contact": 0,
        "retry_delay_seconds": 300,
        "status": "draft",
        "created_at": campaign["created_at"],
        "created_by": campaign["created_by"],
        "contacts_total": 2,
    }
    assert response.headers["location"] == f"/api/v1/campaigns/{campaign['id']}"
    assert campaign["created_by"].startswith("key_")
    assert datetime.fromisoformat(campaign["created_at"]) <= datetime.now(timezone.utc)


def test_the_campaign_and_contacts_are_stored(hub: Hub) -> None:
    campaign = hub.create(hub.key(), csv=b"phone_number,plan\n(415) 555-2671,gold\n").json()
    [stored] = hub.rows("acme", "campaigns")
    assert stored["id"] == campaign["id"] and stored["status"] == "draft"
    [contact] = hub.rows("acme", "contacts")
    assert contact["campaign_id"] == campaign["id"]
    assert contact["phone_number"] == "+14155552671"
    assert json.loads(stored["custom_field_names"]) == ["plan"]  # names once, values per contact
    assert json.loads(contact["custom_fields"]) == ["gold"]
    assert (contact["status"], contact["attempts"]) == ("pending", 0)


def test_every_field_is_kept(hub: Hub) -> None:
    at = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    campaign = hub.create(
        hub.key(),
        max_concurrent_calls=100,
        retries_per_contact=5,
        retry_delay_seconds=60,
        scheduled_at=at.isoformat(),
    ).json()
    assert campaign["max_concurrent_calls"] == 100
    assert campaign["retries_per_contact"] == 5
    assert campaign["retry_delay_seconds"] == 60
    assert campaign["scheduled_at"] == at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert campaign["status"] == "draft"


def test_scheduled_at_with_an_offset_is_stored_in_utc(hub: Hub) -> None:
    response = hub.create(hub.key(), scheduled_at="2099-01-01T09:30:00+02:00")
    assert response.json()["scheduled_at"] == "2099-01-01T07:30:00.000Z"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_concurrent_calls", 0, "max_concurrent_calls: 0 is less than the minimum of 1"),
        ("max_concurrent_calls", 101, "max_concurrent_calls: 101 is greater than the maximum of 100"),
        ("max_concurrent_calls", "five", "expected 'integer' for requestBody parameter 'max_concurrent_calls'"),
        ("retries_per_contact", -1, "retries_per_contact: -1 is less than the minimum of 0"),
        ("retries_per_contact", 6, "retries_per_contact: 6 is greater than the maximum of 5"),
        ("retry_delay_seconds", 59, "retry_delay_seconds: 59 is less than the minimum of 60"),
        ("retry_delay_seconds", 1.5, "expected 'integer' for requestBody parameter 'retry_delay_seconds'"),
        ("name", "", "name: '' should be non-empty"),
        ("name", "  \t ", "name: must not be blank"),
        ("name", "x" * 201, "is too long"),
        ("agent_id", "agent-7", "agent_id: 'agent-7' is not a uuid"),
        ("phone_number_id", "+14155552671", "phone_number_id: '+14155552671' is not a uuid"),
        ("scheduled_at", "tomorrow", "scheduled_at: 'tomorrow' is not a 'date-time'"),
        ("scheduled_at", "2020-01-01T00:00:00Z", "scheduled_at: 2020-01-01T00:00:00Z is in the past"),
        ("colour", "blue", "colour"),
    ],
)
def test_bad_fields_are_rejected_and_nothing_is_stored(hub: Hub, field: str, value: Any, message: str) -> None:
    assert_error(hub.create(hub.key(), **{field: value}), 400, message)
    assert hub.rows("acme", "campaigns") == []
    assert hub.rows("acme", "contacts") == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_concurrent_calls", 1), ("max_concurrent_calls", 100), ("retries_per_contact", 0),
     ("retries_per_contact", 5), ("retry_delay_seconds", 60), ("retry_delay_seconds", 86400),
     ("name", "x"), ("name", "x" * 200)],
)  # fmt: skip
def test_boundary_values_are_accepted(hub: Hub, field: str, value: Any) -> None:
    response = hub.create(hub.key(), **{field: value})
    assert response.status_code == 201
    assert response.json()[field] == value


@pytest.mark.parametrize("field", ["name", "agent_id", "phone_number_id"])
def test_required_fields(hub: Hub, field: str) -> None:
    assert_error(hub.create(hub.key(), **{field: None}), 400, f"'{field}' is a required property")


def test_contacts_are_required(hub: Hub) -> None:
    response = hub.client.post(
        "/api/v1/campaigns",
        headers={"Authorization": f"Bearer {hub.key()}"},
        files={"name": (None, "x"), "agent_id": (None, AGENT), "phone_number_id": (None, NUMBER_ID)},
    )
    assert_error(response, 400, "'contacts' is a required property")


def test_contacts_sent_as_a_text_part_is_refused(hub: Hub) -> None:
    response = hub.client.post(
        "/api/v1/campaigns",
        headers={"Authorization": f"Bearer {hub.key()}"},
        files={
            "name": (None, "x"), "agent_id": (None, AGENT), "phone_number_id": (None, NUMBER_ID),
            "contacts": (None, CSV.decode()),
        },
    )  # fmt: skip
    assert_error(response, 400, "contacts: send the CSV as a file part")
    assert hub.rows("acme", "campaigns") == []


def test_a_repeated_field_is_refused(hub: Hub) -> None:
    response = hub.client.post(
        "/api/v1/campaigns",
        headers={"Authorization": f"Bearer {hub.key()}"},
        files=[
            ("name", (None, "a")), ("name", (None, "b")), ("agent_id", (None, AGENT)),
            ("phone_number_id", (None, NUMBER_ID)), ("contacts", ("c.csv", CSV)),
        ],
    )  # fmt: skip
    assert_error(response, 400, "name: sent more than once")


def test_two_files_are_refused(hub: Hub) -> None:
    response = hub.client.post(
        "/api/v1/campaigns",
        headers={"Authorization": f"Bearer {hub.key()}"},
        files=[
            ("name", (None, "a")), ("agent_id", (None, AGENT)), ("phone_number_id", (None, NUMBER_ID)),
            ("contacts", ("c.csv", CSV)), ("contacts", ("d.csv", CSV)),
        ],
    )  # fmt: skip
    assert_error(response, 400, "contacts: sent more than once")


@pytest.mark.parametrize(
    ("content_type", "body", "status", "message"),
    [
        ("multipart/form-data", b"garbage", 400, "malformed multipart body"),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nno headers\r\n", 400, ""),
        ("application/json", b"{}", 415, "expected ['multipart/form-data']"),
        ("text/csv", CSV, 415, "Invalid Content-type (text/csv)"),
    ],
)
def test_malformed_bodies_are_client_errors(hub: Hub, content_type: str, body: bytes, status: int, message: str) -> None:
    response = hub.client.post(
        "/api/v1/campaigns",
        headers={"Authorization": f"Bearer {hub.key()}", "Content-Type": content_type},
        content=body,
    )
    assert_error(response, status, message)


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        (b"", "contacts: the file is empty"),
        (b"phone_number\n", "contacts: the file has a header but no contact rows"),
        (b"phone\n+14155552671\n", "contacts: the header has no 'phone_number' column"),
        (b"phone_number\n+14155552671\n+14155552672\nnot-a-number\n",
         "contacts line 4: 'not-a-number' is not a phone number"),
        (b"phone_number\n\xc3\x28\n", "contacts line 2: not UTF-8 text (byte 13)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "contacts"),
    ],
)  # fmt: skip
def test_bad_csv_is_rejected_and_nothing_is_stored(hub: Hub, csv: bytes, message: str) -> None:
    assert_error(hub.create(hub.key(), csv=csv), 400, message)
    assert hub.rows("acme", "campaigns") == []
    assert hub.rows("acme", "contacts") == []


def test_duplicates_are_dropped_and_custom_fields_kept(hub: Hub) -> None:
    csv = "\ufeffphone_number,first_name,note\r\n+14155552671,Ada,\"a, b\"\r\n(415) 555-2671,Dup,x\r\n"
    campaign = hub.create(hub.key(), csv=csv.encode()).json()
    assert campaign["contacts_total"] == 1
    [contact] = hub.client.get(
        f"/api/v1/campaigns/{campaign['id']}/contacts", headers={"Authorization": f"Bearer {hub.key()}"}
    ).json()["contacts"]
    assert contact["custom_fields"] == {"first_name": "Ada", "note": "a, b"}


@pytest.mark.parametrize("path", ["/api/v1/campaigns", "/hub-api/api/v1/campaigns", "/v1/campaigns"])
def test_every_base_path_serves_create(hub: Hub, path: str) -> None:
    assert hub.create(hub.key(), path=path).status_code == 201


def test_over_the_limit_by_content_length_is_413_before_reading(hub: Hub) -> None:
    response = hub.client.post(
        "/api/v1/campaigns",
        headers={
            "Authorization": f"Bearer {hub.key()}",
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(MAX_REQUEST_BYTES + 1),
        },
        content=b"--x--",
    )
    assert_error(response, 413, f"request body exceeds the limit of {MAX_REQUEST_BYTES} bytes")


def test_a_csv_over_10_mib_is_413(hub: Hub) -> None:
    big = b"phone_number\n" + b"+14155552671\n" * (10 * 1024 * 1024 // 13 + 1)
    assert_error(hub.create(hub.key(), csv=big), 413, "")
    assert hub.rows("acme", "campaigns") == []


def test_defaults_in_the_domain_match_the_spec(spec: dict[str, Any]) -> None:
    form = spec["components"]["schemas"]["CampaignCreateForm"]["properties"]
    assert {k: form[k]["default"] for k in DEFAULTS} == DEFAULTS


@pytest.mark.backends("sqlite")  # a corrupt account file
def test_a_database_failure_is_a_json_500_and_the_server_keeps_serving(hub: Hub) -> None:
    key = hub.key("broken")
    accounts = hub.settings.data_dir / "accounts"
    (accounts / "broken.db").write_bytes(b"this is not an SQLite file" * 100)
    assert_error(hub.create(key), 500, "Database error")
    assert hub.create(hub.key("acme")).status_code == 201


def test_python_m_runs_the_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "kataven_hub", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "serve" in done.stdout and "keys" in done.stdout
