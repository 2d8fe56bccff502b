"""The campaign resource over HTTP: state machine, budget, contacts, call limits, tenancy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from kataven_hub.campaigns import limits
from tests.conftest import Hub
from tests.helpers import assert_error

BACKENDS = ("sqlite", "postgres")
"""Each test that uses `hub` runs on both storage drivers (`tests.conftest`)."""

STATES = ("draft", "scheduled", "running", "paused", "completed", "failed")
OPERATIONS = ("get", "start", "pause", "resume", "stop", "delete")
# (state, operation) -> (status code, state afterwards; None = deleted)
EXPECTED: dict[tuple[str, str], tuple[int, str | None]] = {
    ("draft", "get"): (200, "draft"),
    ("draft", "start"): (200, "running"),
    ("draft", "pause"): (409, "draft"),
    ("draft", "resume"): (409, "draft"),
    ("draft", "stop"): (409, "draft"),
    ("draft", "delete"): (204, None),
    ("scheduled", "get"): (200, "scheduled"),
    ("scheduled", "start"): (409, "scheduled"),  # its time has not come
    ("scheduled", "pause"): (409, "scheduled"),
    ("scheduled", "resume"): (409, "scheduled"),
    ("scheduled", "stop"): (200, "completed"),
    ("scheduled", "delete"): (409, "scheduled"),
    ("running", "get"): (200, "running"),
    ("running", "start"): (409, "running"),
    ("running", "pause"): (200, "paused"),
    ("running", "resume"): (409, "running"),
    ("running", "stop"): (200, "completed"),
    ("running", "delete"): (409, "running"),
    ("paused", "get"): (200, "paused"),
    ("paused", "start"): (200, "running"),
    ("paused", "pause"): (409, "paused"),
    ("paused", "resume"): (200, "running"),
    ("paused", "stop"): (200, "completed"),
    ("paused", "delete"): (409, "paused"),
    **{(state, "get"): (200, state) for state in ("completed", "failed")},
    **{(state, op): (409, state) for state in ("completed", "failed") for op in OPERATIONS if op != "get"},
}


def test_the_table_covers_every_pair() -> None:
    assert set(EXPECTED) == {(s, o) for s in STATES for o in OPERATIONS}


def call(hub: Hub, key: str, operation: str, campaign_id: str, prefix: str = "/api/v1") -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    path = f"{prefix}/campaigns/{campaign_id}"
    if operation == "get":
        return hub.client.get(path, headers=headers)
    if operation == "delete":
        return hub.client.delete(path, headers=headers)
    return hub.client.post(f"{path}/{operation}", headers=headers)


def campaign_in(hub: Hub, key: str, state: str) -> str:
    """A campaign brought to `state` through the API (a `failed` one through storage: only the
    carrier can fail a campaign)."""
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    fields = {"scheduled_at": future} if state == "scheduled" else {}
    campaign_id: str = hub.create(key, **fields).json()["id"]
    path = {"draft": [], "scheduled": ["start"], "running": ["start"], "paused": ["start", "pause"],
            "completed": ["start", "stop"], "failed": []}[state]  # fmt: skip
    for operation in path:
        assert call(hub, key, operation, campaign_id).status_code == 200
    if state == "failed":
        hub.sql("acme", "UPDATE campaigns SET status = 'failed' WHERE id = ?", [campaign_id])
    return campaign_id


@pytest.mark.parametrize(("state", "operation"), sorted(EXPECTED))
def test_state_machine(hub: Hub, state: str, operation: str) -> None:
    key = hub.key()
    campaign_id = campaign_in(hub, key, state)
    status, after = EXPECTED[(state, operation)]
    response = call(hub, key, operation, campaign_id)
    assert response.status_code == status, response.text
    if status == 409:
        assert_error(response, 409, f"in status '{state}'")
    elif status == 200:
        assert response.json()["status"] == after
    got = call(hub, key, "get", campaign_id)
    if after is None:
        assert_error(got, 404, "Campaign not found")
    else:
        assert got.json()["status"] == after


def test_a_409_names_both_states(hub: Hub) -> None:
    key = hub.key()
    response = call(hub, key, "pause", campaign_in(hub, key, "draft"))
    assert_error(response, 409, "cannot pause campaign in status 'draft': pause moves 'running' to 'paused'")


def test_start_sets_started_at_once_and_stop_sets_completed_at(hub: Hub) -> None:
    key = hub.key()
    campaign_id = campaign_in(hub, key, "paused")
    first = call(hub, key, "get", campaign_id).json()["started_at"]
    resumed = call(hub, key, "resume", campaign_id).json()
    assert resumed["started_at"] == first and "completed_at" not in resumed
    stopped = call(hub, key, "stop", campaign_id).json()
    assert stopped["completed_at"] >= first


def test_stop_skips_pending_contacts(hub: Hub) -> None:
    key = hub.key()
    campaign_id = campaign_in(hub, key, "running")
    call(hub, key, "stop", campaign_id)
    assert {c["status"] for c in hub.rows("acme", "contacts")} == {"skipped"}


def test_start_with_scheduled_at_ahead_schedules(hub: Hub) -> None:
    key = hub.key()
    campaign = call(hub, key, "get", campaign_in(hub, key, "scheduled")).json()
    assert campaign["status"] == "scheduled" and "started_at" not in campaign


def set_limits(hub: Hub, account: str = "acme", **values: int) -> None:
    with hub.backend() as stores, stores.account(account) as database:
        limits.set_limits(database, **values)


def test_the_concurrency_budget_is_checked_on_start_and_resume(hub: Hub) -> None:
    key = hub.key()
    set_limits(hub, concurrent_max=10)
    first = hub.create(key, max_concurrent_calls=6).json()["id"]
    second = hub.create(key, max_concurrent_calls=5).json()["id"]
    assert call(hub, key, "start", first).status_code == 200
    assert_error(
        call(hub, key, "start", second),
        409,
        "concurrency budget exceeded: running and scheduled campaigns hold 6 of the account's"
        " concurrent_max 10; this campaign needs 5",
    )
    assert call(hub, key, "get", second).json()["status"] == "draft"
    call(hub, key, "pause", first)  # a paused campaign holds no budget
    assert call(hub, key, "start", second).status_code == 200
    assert_error(call(hub, key, "resume", first), 409, "concurrency budget exceeded")
    assert call(hub, key, "get", first).json()["status"] == "paused"


def test_scheduled_campaigns_hold_budget(hub: Hub) -> None:
    key = hub.key()
    set_limits(hub, concurrent_max=5)
    campaign_in(hub, key, "scheduled")
    assert_error(call(hub, key, "start", hub.create(key).json()["id"]), 409, "hold 5 of")


def test_concurrent_max_zero_blocks_every_start(hub: Hub) -> None:
    key = hub.key()
    set_limits(hub, concurrent_max=0)
    assert_error(call(hub, key, "start", hub.create(key).json()["id"]), 409, "concurrent_max 0")


def test_list_is_newest_first(hub: Hub) -> None:
    key = hub.key()
    ids = [hub.create(key, name=f"c{i}").json()["id"] for i in range(3)]
    listed = hub.client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}).json()
    assert [c["id"] for c in listed["campaigns"]] == ids[::-1]


@pytest.mark.parametrize("prefix", ["/api/v1", "/hub-api/api/v1", "/v1"])
def test_every_prefix_serves_the_lifecycle(hub: Hub, prefix: str) -> None:
    key = hub.key()
    campaign_id = hub.create(key).json()["id"]
    for operation in ("get", "start", "pause", "resume", "stop"):
        assert call(hub, key, operation, campaign_id, prefix).status_code == 200


def test_unknown_ids_are_404_for_every_operation(hub: Hub) -> None:
    key = hub.key()
    for operation in OPERATIONS:
        assert_error(call(hub, key, operation, "no-such-campaign"), 404, "Campaign not found")
    for suffix in ("contacts", "events"):
        response = hub.client.get(f"/api/v1/campaigns/nope/{suffix}", headers={"Authorization": f"Bearer {key}"})
        assert_error(response, 404, "Campaign not found")


def test_another_account_gets_404_for_every_operation(hub: Hub) -> None:
    mine, theirs = hub.key("acme"), hub.key("globex")
    campaign_ids = {state: campaign_in(hub, mine, state) for state in ("draft", "running", "paused")}
    for campaign_id in campaign_ids.values():
        for operation in OPERATIONS:
            assert_error(call(hub, theirs, operation, campaign_id), 404, "Campaign not found")
        for suffix in ("contacts", "events"):
            response = hub.client.get(
                f"/api/v1/campaigns/{campaign_id}/{suffix}", headers={"Authorization": f"Bearer {theirs}"}
            )
            assert_error(response, 404, "Campaign not found")
    listed = hub.client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {theirs}"})
    assert listed.json() == {"campaigns": []}
    assert {state: call(hub, mine, "get", i).json()["status"] for state, i in campaign_ids.items()} == {
        "draft": "draft", "running": "running", "paused": "paused"
    }


# --- contacts -------------------------------------------------------------------------------


def contacts(hub: Hub, key: str, campaign_id: str, **params: Any) -> Any:
    return hub.client.get(
        f"/api/v1/campaigns/{campaign_id}/contacts", headers={"Authorization": f"Bearer {key}"}, params=params
    )


def _csv(n: int, start: int = 2000000) -> bytes:
    return b"phone_number,n\n" + b"".join(b"+1415%07d,%d\n" % (start + i, i) for i in range(n))


def test_contacts_are_paged_by_100_in_id_order(hub: Hub) -> None:
    key = hub.key()
    hub.create(key, csv=_csv(5, start=3000000))  # another campaign's contacts come first
    campaign_id = hub.create(key, csv=_csv(250)).json()["id"]
    pages = [contacts(hub, key, campaign_id, page=p).json() for p in range(4)]
    assert [len(p["contacts"]) for p in pages] == [100, 100, 50, 0]
    assert all(p["total"] == 250 and p["page_size"] == 100 for p in pages)
    assert [p["page"] for p in pages] == [0, 1, 2, 3]
    numbers = [c["phone_number"] for p in pages for c in p["contacts"]]
    assert numbers == [f"+1415{2000000 + i:07d}" for i in range(250)]
    first = pages[0]["contacts"][0]
    assert first["custom_fields"] == {"n": "0"} and first["status"] == "pending" and first["attempts"] == 0
    assert contacts(hub, key, campaign_id).json() == pages[0]


def test_contacts_filter_by_status(hub: Hub) -> None:
    key = hub.key()
    campaign_id = hub.create(key, csv=_csv(230)).json()["id"]
    hub.sql("acme", "UPDATE contacts SET status = 'failed' WHERE id % 2 = 0")
    failed = [contacts(hub, key, campaign_id, status="failed", page=p).json() for p in range(3)]
    assert [len(p["contacts"]) for p in failed] == [100, 15, 0]
    assert all(p["total"] == 115 for p in failed)
    assert all(c["status"] == "failed" for p in failed for c in p["contacts"])
    ids = [c["id"] for p in failed for c in p["contacts"]]
    assert ids == sorted(ids) and len(set(ids)) == 115
    assert contacts(hub, key, campaign_id, status="busy").json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [({"status": "ringing"}, "status: 'ringing' is not one of"), ({"page": -1}, "page: -1 is less than"),
     ({"page": "x"}, "page"), ({"colour": "red"}, "colour")],
)  # fmt: skip
def test_bad_contact_queries_are_400(hub: Hub, params: dict[str, Any], message: str) -> None:
    key = hub.key()
    campaign_id = hub.create(key).json()["id"]
    assert_error(contacts(hub, key, campaign_id, **params), 400, message)


@pytest.mark.backends("sqlite")  # SQLite's query plans
def test_a_late_page_uses_the_index_not_a_scan(hub: Hub) -> None:

    campaign_id = hub.create(hub.key(), csv=_csv(1000)).json()["id"]
    with hub.backend() as stores, stores.account("acme") as database, database.read() as db:
        campaign = db.get_campaign(campaign_id)
        plans: list[str] = []
        real_execute = db.execute

        def explain(sql: str, params: Any = None) -> Any:
            if sql.lstrip().upper().startswith("SELECT") and "contacts" in sql:
                plans.extend(row[-1] for row in real_execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
            return real_execute(sql, params)

        db.execute = explain  # type: ignore[method-assign]
        assert campaign is not None
        assert len(db.contacts_page(campaign, None, 9, 100)[0]) == 100
        assert len(db.contacts_page(campaign, "pending", 9, 100)[0]) == 100
    assert plans and not any(p.startswith("SCAN") for p in plans), plans
    assert any("INTEGER PRIMARY KEY" in p for p in plans)
    assert any("COVERING INDEX" in p for p in plans)


# --- call limits ----------------------------------------------------------------------------


def test_call_limits_have_documented_defaults_and_follow_the_operator(hub: Hub) -> None:
    key = hub.key()
    got = hub.client.get("/api/v1/call-limits", headers={"Authorization": f"Bearer {key}"})
    assert got.json() == limits.DEFAULT_LIMITS
    set_limits(hub, concurrent_max=3, daily_minutes_max=0)
    got = hub.client.get("/v1/call-limits", headers={"Authorization": f"Bearer {key}"})
    assert got.json() == {**limits.DEFAULT_LIMITS, "concurrent_max": 3, "daily_minutes_max": 0}
    other = hub.client.get("/api/v1/call-limits", headers={"Authorization": f"Bearer {hub.key('globex')}"})
    assert other.json() == limits.DEFAULT_LIMITS


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        limits.set_limits(None, concurrent_max=-1)  # type: ignore[arg-type]


def test_the_docs_give_the_default_limits() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "reference" / "campaigns" / "limits.md").read_text()
    for name, value in limits.DEFAULT_LIMITS.items():
        assert f"| `{name}` | {value:,} |" in page, name
