"""`hub reset`: an account emptied of campaigns, contacts and calls in one transaction, beside a
live server that keeps serving and dispatching; and the carrier forgets the calls it lost."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from kataven_hub.dispatch.dialer import FORGET_AFTER, Call, SimulatedCarrier, UnknownSession
from support.servers import hub, serving
from tests.conftest import AGENT, NUMBER_ID

CSV = "phone_number\n" + "".join(f"+1415555{2000 + i}\n" for i in range(40))


def _create(client: httpx.Client, name: str) -> str:
    form = {"name": name, "agent_id": AGENT, "phone_number_id": NUMBER_ID, "max_concurrent_calls": "5"}
    response = client.post("/api/v1/campaigns", data=form, files={"contacts": ("c.csv", CSV, "text/csv")})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _until(check: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)


@pytest.mark.live
def test_reset_empties_an_account_a_live_server_is_dispatching(tmp_path: Path) -> None:
    env = {"HUB_PEPPER": "reset"}
    data_dir = tmp_path / "data"
    key = hub("keys", "create", "--account", "e2e", "--data-dir", str(data_dir), env=env).stdout.split()[-1]
    hub("limits", "set", "--account", "e2e", "--concurrent-max", "20", "--data-dir", str(data_dir), env=env)
    with serving(data_dir, env) as (base, log), httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        running = _create(client, "running")
        _create(client, "draft")
        assert client.post(f"/api/v1/campaigns/{running}/start").status_code == 200
        _until(lambda: client.get(f"/api/v1/campaigns/{running}/contacts?status=dialing").json()["total"] > 0)

        said = hub("reset", "--account", "e2e", "--data-dir", str(data_dir), env=env).stdout
        assert said.startswith("reset account e2e: deleted 2 campaign(s)")

        assert client.get("/api/v1/campaigns").json() == {"campaigns": []}  # the key still works
        assert client.get("/api/v1/call-limits").json()["concurrent_max"] == 20  # limits kept
        assert client.get(f"/api/v1/campaigns/{running}").status_code == 404
        again = _create(client, "after the reset")  # and the dispatcher goes on dialing
        assert client.post(f"/api/v1/campaigns/{again}/start").status_code == 200
        _until(lambda: client.get(f"/api/v1/campaigns/{again}/contacts?status=dialing").json()["total"] > 0)
        time.sleep(0.5)  # a few dispatch rounds over the deleted calls
    server_log = log.read_text()
    assert "Traceback" not in server_log and "ERROR" not in server_log, server_log


def test_the_carrier_forgets_calls_nobody_asks_for() -> None:
    carrier = SimulatedCarrier()
    start = datetime(2026, 11, 27, tzinfo=timezone.utc)

    def call(n: int) -> Call:
        return Call(session_id=f"s{n}", campaign_id="c", contact_id=n, attempt=1, phone_number="+14155552671",
                    agent_id=AGENT, phone_number_id=NUMBER_ID, custom_fields={})  # fmt: skip

    carrier.dial(call(1), start)
    carrier.dial(call(2), start + FORGET_AFTER + timedelta(minutes=10))  # s1 ended long ago, never polled
    assert carrier.poll("s2", start + FORGET_AFTER + timedelta(hours=1)) is not None
    with pytest.raises(UnknownSession):
        carrier.poll("s1", start + FORGET_AFTER + timedelta(hours=1))
