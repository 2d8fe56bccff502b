"""Recording per account on the control surface (`/_hub/accounts/{account}/recording`): an account
switched on has what its consumers use recorded for it alone, in `hub serve --record`'s format and
with its redaction, read back as contracts that `hub consumers check` takes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from kataven_hub import cli
from kataven_hub.app import create_app
from kataven_hub.consumers.contract import dumps
from kataven_hub.consumers.files import file_name
from support import servers
from tests.conftest import make_settings

SPEC = Path(__file__).parent / "specs" / "consumers.yaml"
ROUTE = "/_hub/accounts"


def _recording(base: str, account: str, on: bool | None = None) -> dict[str, Any]:
    url = f"{base}{ROUTE}/{account}/recording"
    answer = httpx.get(url) if on is None else httpx.put(url, json={"on": on})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _checked(contracts: dict[str, Any], folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The contracts written as `--record` writes them, then `hub consumers check` on the folder."""
    folder.mkdir()
    for consumer, contract in contracts.items():
        (folder / file_name(consumer)).write_text(dumps(contract))
    status = cli.main(["consumers", "check", str(folder), "--spec", str(SPEC)])
    return status, "".join(capsys.readouterr())


@pytest.mark.live
def test_one_account_records_its_own_calls_only_and_its_contracts_pass_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with servers.serving(tmp_path / "data", {}, "--dev", "--spec", str(SPEC)) as (base, _log):
        mine, other = httpx.post(f"{base}{ROUTE}").json(), httpx.post(f"{base}{ROUTE}").json()
        assert _recording(base, mine["account"], on=True)["on"] is True
        web = {"Authorization": f"Bearer {mine['key']}", "X-Hub-Consumer": "web"}
        created = httpx.post(f"{base}/users", headers=web, json={"name": "Bob", "password": "hunter2", "pin": "4321"})
        assert created.status_code == 201, created.text
        assert httpx.get(f"{base}/users/{created.json()['id']}", headers=web).status_code == 200
        theirs = {"Authorization": f"Bearer {other['key']}", "X-Hub-Consumer": "spa"}
        assert httpx.get(f"{base}/users?limit=7", headers=theirs).status_code == 200
        assert httpx.get(f"{base}/users?limit=8", headers={"Authorization": "Bearer not-a-key"}).status_code == 200
        stopped = _recording(base, mine["account"], on=False)
        assert httpx.get(f"{base}/users?limit=9", headers=web).status_code == 200  # after the stop: not recorded
        recorded = _recording(base, mine["account"])
        assert _recording(base, other["account"]) == {"account": other["account"], "on": False, "consumers": {}}
        assert httpx.get(f"{base}{ROUTE}/nobody/recording").status_code == 404
    assert recorded == stopped and recorded["on"] is False and list(recorded["consumers"]) == ["web"]
    assert sorted(recorded["consumers"]["web"]["operations"]) == ["GET /users/{userId}", "POST /users"]
    request = recorded["consumers"]["web"]["operations"]["POST /users"]["request"]
    assert request == {"name": "Bob", "password": "<redacted>", "pin": "<redacted>"}
    text = str(recorded)
    assert [s for s in (mine["key"], other["key"], "hunter2", "4321", "not-a-key", "Authorization") if s in text] == []
    status, said = _checked(recorded["consumers"], tmp_path / "consumers", capsys)
    assert status == 0, said


def test_on_our_document_the_key_names_the_account_and_a_reset_empties_the_recording(tmp_path: Path) -> None:
    with create_app(make_settings(tmp_path, dev=True, control_anywhere=True)).test_client() as client:
        mine, other = client.post(ROUTE).json(), client.post(ROUTE).json()
        url = f"{ROUTE}/{mine['account']}/recording"
        assert client.put(url, json={"on": "yes"}).status_code == 400
        assert client.put(url, json={"on": True}).json()["on"] is True
        for account in (mine, other):
            auth = {"Authorization": f"Bearer {account['key']}", "X-Account-ID": account["account"]}
            assert client.get("/api/v1/campaigns", headers=auth).status_code == 200
        consumers = client.get(url).json()["consumers"]
        assert list(consumers) == ["control-surface"]  # the key's name: the control surface mints it
        assert consumers["control-surface"]["operations"]["GET /api/v1/campaigns"]["parameters"] == {"header X-Account-ID": mine["account"]}
        assert client.post(f"{ROUTE}/{mine['account']}/reset").status_code == 200
        assert client.get(url).json() == {"account": mine["account"], "on": True, "consumers": {}}
