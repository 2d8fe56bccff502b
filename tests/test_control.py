"""Dev mode's control surface (`/_hub/`, kataven_hub/control/openapi.yaml): a fresh account and key
per call, reset, demo data, and an account clock that moves forward running the dispatcher's
rounds, so a campaign completes in milliseconds with outcomes fixed by the carrier's seed."""

from __future__ import annotations

import concurrent.futures
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from kataven_hub.app import create_app
from kataven_hub.campaigns.lifecycle import CONTACT_STATUSES
from kataven_hub.control import DOCUMENT
from kataven_hub.schemas.answers import answer_errors
from support.servers import serving
from tests.conftest import AGENT, NUMBER_ID, make_settings

ROUTE = "/_hub/accounts"


def _csv(count: int) -> bytes:
    return ("phone_number\n" + "".join(f"+1415555{n:04d}\n" for n in range(count))).encode()


def _campaign(client: Any, key: str, contacts: int, **fields: Any) -> dict[str, Any]:
    form = {"name": "E2E", "agent_id": AGENT, "phone_number_id": NUMBER_ID, **{k: str(v) for k, v in fields.items()}}
    created = client.post("/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}, data=form,
                          files={"contacts": ("c.csv", _csv(contacts), "text/csv")})  # fmt: skip
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


def _counts(client: Any, key: str, campaign_id: str) -> dict[str, int]:
    auth = {"Authorization": f"Bearer {key}"}
    url = f"/api/v1/campaigns/{campaign_id}/contacts"
    return {s: client.get(url, params={"status": s}, headers=auth).json()["total"] for s in CONTACT_STATUSES}


def _run_to_the_end(tmp_path: Path) -> tuple[dict[str, int], dict[str, Any], list[dict[str, Any]]]:
    """A fresh server and account: a 1,000-contact campaign started, then the clock moved a day."""
    settings = make_settings(tmp_path, dev=True, control_anywhere=True, dispatch=True, sim_seed=5)
    with create_app(settings).test_client() as client:
        account = client.post(ROUTE).json()
        key = account["key"]
        campaign = _campaign(client, key, 1000, max_concurrent_calls=10, retries_per_contact=2)
        started = client.post(f"/api/v1/campaigns/{campaign['id']}/start", headers={"Authorization": f"Bearer {key}"})
        assert started.json()["status"] == "running"
        moved = client.post(f"{ROUTE}/{account['account']}/clock", json={"seconds": 86_400})
        assert moved.status_code == 200 and moved.json()["ahead_seconds"] == 86_400 and moved.json()["rounds"] > 0
        done = client.get(f"/api/v1/campaigns/{campaign['id']}", headers={"Authorization": f"Bearer {key}"}).json()
        contacts = [
            c for page in range(10)
            for c in client.get(f"/api/v1/campaigns/{campaign['id']}/contacts", params={"page": page},
                                headers={"Authorization": f"Bearer {key}"}).json()["contacts"]
        ]  # fmt: skip
        return _counts(client, key, campaign["id"]), done, contacts


def test_moving_the_clock_completes_a_campaign_with_the_same_counts_for_a_seed(tmp_path: Path) -> None:
    counts, campaign, contacts = _run_to_the_end(tmp_path / "one")
    assert campaign["status"] == "completed" and campaign["completed_at"] > campaign["started_at"]
    assert counts["pending"] == counts["dialing"] == counts["skipped"] == 0
    assert sum(counts.values()) == 1000 and counts["completed"] > 500
    assert len(contacts) == 1000 and all(c["attempts"] <= 3 for c in contacts)  # retries_per_contact + 1
    again, _campaign_again, _ = _run_to_the_end(tmp_path / "two")
    assert again == counts  # another account, another campaign id: the same outcomes


def test_accounts_are_fresh_and_reset_and_demo_bring_known_states(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, dev=True, control_anywhere=True)
    with create_app(settings).test_client() as client:
        first, second = client.post(ROUTE).json(), client.post(ROUTE, json={"account": "worker-2"}).json()
        assert second["account"] == "worker-2" and first["account"] != second["account"]
        assert client.post(ROUTE, json={"account": "worker-2"}).status_code == 409
        assert client.post(ROUTE, json={"account": "Not A Name"}).status_code == 400
        _campaign(client, first["key"], 3)
        listed = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {second['key']}"}).json()
        assert listed["campaigns"] == []  # the other account sees none of it
        demo = client.post(f"{ROUTE}/{second['account']}/demo", json={"seed": 1})
        assert demo.status_code == 201
        statuses = {c["status"] for c in demo.json()["campaigns"]}
        assert {"draft", "running", "paused", "completed", "failed"} <= statuses
        again = client.post(f"{ROUTE}/{second['account']}/demo", json={"seed": 1}).json()["campaigns"]
        assert [c["id"] for c in again] == [c["id"] for c in demo.json()["campaigns"]]  # replaced, same seed
        client.post(f"{ROUTE}/{first['account']}/clock", json={"seconds": 60})
        reset = client.post(f"{ROUTE}/{first['account']}/reset").json()
        assert reset == {"account": first["account"], "deleted_campaigns": 1}
        assert client.get(f"{ROUTE}/{first['account']}/clock").json()["ahead_seconds"] == 0
        missing = client.get(f"{ROUTE}/nobody/clock")
        assert missing.status_code == 404 and missing.json() == "Account 'nobody' not found"
        assert client.post(f"{ROUTE}/nobody/reset").status_code == 404
        schema = client.get("/_hub/openapi.json").json()["components"]["schemas"]["Account"]
        assert answer_errors(schema, first) is None


def test_only_loopback_clients_and_only_in_dev_mode(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path / "dev", dev=True))) as client:  # its client is "testclient"
        refused = client.post(ROUTE)
        assert refused.status_code == 403 and "127.0.0.1 only" in refused.json()
    with TestClient(create_app(make_settings(tmp_path / "prod"))) as client:
        assert client.post(ROUTE).status_code == 404
        assert client.get("/_hub/openapi.json").status_code == 404


@pytest.mark.live
def test_sixteen_parallel_workers_each_get_their_own_account(tmp_path: Path) -> None:
    with serving(tmp_path / "data", {"HUB_SIM_SEED": "3"}, "--dev") as (base, _log):

        def worker(n: int) -> tuple[str, list[str], str]:
            with httpx.Client(base_url=base, timeout=30) as client:
                account = client.post(ROUTE).json()
                marker = f"worker {n} {secrets.token_hex(3)}"
                form = {"name": marker, "agent_id": AGENT, "phone_number_id": NUMBER_ID}
                auth = {"Authorization": f"Bearer {account['key']}"}
                made = client.post("/api/v1/campaigns", headers=auth, data=form,
                                   files={"contacts": ("c.csv", _csv(20), "text/csv")}).json()  # fmt: skip
                client.post(f"/api/v1/campaigns/{made['id']}/start", headers=auth)
                client.post(f"{ROUTE}/{account['account']}/clock", json={"seconds": 3600})
                names = [c["name"] for c in client.get("/api/v1/campaigns", headers=auth).json()["campaigns"]]
                status = client.get(f"/api/v1/campaigns/{made['id']}", headers=auth).json()["status"]
                return marker, names, status

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(worker, range(16)))
    assert all(names == [marker] for marker, names, _ in results)
    assert [status for *_, status in results] == ["completed"] * 16


def test_the_control_document_is_a_valid_document_of_its_own() -> None:
    from kataven_hub import openapi

    operations = openapi.operations(openapi.load(DOCUMENT))
    assert {op.operation_id.rsplit(".", 1)[1] for op in operations} == {
        "create_account", "reset_account", "load_demo", "read_clock", "advance_clock", "read_recording", "switch_recording"}  # fmt: skip
