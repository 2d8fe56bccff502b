"""`hub serve --record DIR` and `hub consumers check DIR`: what each consumer uses of a document,
recorded from its traffic into one file per consumer, merged across runs, with nothing secret in it;
and checked against a document, each break naming the consumer, the operation, what and the example."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from kataven_hub import auth, cli
from kataven_hub.app import create_app
from kataven_hub.consumers.contract import fields, segments, union
from kataven_hub.consumers.schemapaths import fitting, locate
from kataven_hub.storage import open_backend
from support import servers
from tests.conftest import make_settings

SPEC = Path(__file__).parent / "specs" / "consumers.yaml"
SECRETS = ("hunter2", "4321", "very-secret-token", "k-123-secret")
USER_ID = "00000000-0000-4000-8000-000000000001"
"""The id the mock remembers the first created user under (a fresh data directory)."""


def _session(tmp_path: Path, record: Path, run: str = "1") -> None:
    """A frontend's session against the mock: `web` creates a user, reads it and a missing one;
    a client without the header lists the users, with an API key."""
    app = create_app(make_settings(tmp_path / f"data{run}", dev=True, spec=SPEC, record=record))
    web = {"Authorization": "Bearer very-secret-token", "X-Hub-Consumer": "web"}
    with TestClient(app) as client:
        created = client.post("/users", headers=web, json={"name": "Bob", "password": "hunter2", "pin": "4321",
                                                           "address": {"city": "Lyon"}})  # fmt: skip
        assert created.status_code == 201, created.text
        assert client.get(f"/users/{created.json()['id']}", headers=web).status_code == 200
        assert client.get("/users/nobody", headers=web).status_code == 404
        listed = client.get("/users?limit=5", headers={"Authorization": "Bearer x", "X-Api-Key": "k-123-secret"})
        assert listed.status_code == 200, listed.text


WEB = {
    "consumer": "web",
    "operations": {
        "GET /users/{userId}": {
            "answers": {"200": {"address.city": "Lyon", "id": USER_ID, "name": "Bob"}, "404": {"$": "Not found"}},
            "operationId": "getUser",
            "parameters": {"path userId": USER_ID},
        },
        "POST /users": {
            "answers": {"201": {"address.city": "Lyon", "id": USER_ID, "name": "Bob"}},
            "operationId": "createUser",
            "request": {"address.city": "Lyon", "name": "Bob", "password": "<redacted>", "pin": "<redacted>"},
        },
    },
}


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    record = tmp_path / "consumers"
    _session(tmp_path, record)
    return record


def test_each_consumer_gets_a_file_of_what_it_used(recorded: Path) -> None:
    assert sorted(p.name for p in recorded.glob("*.json")) == ["default.json", "web.json"]
    assert (recorded / "web.json").read_text() == json.dumps(WEB, indent=2, sort_keys=True) + "\n"
    default = json.loads((recorded / "default.json").read_text())
    assert default["operations"]["GET /users"]["parameters"] == {"query limit": "5"}
    assert set(default["operations"]["GET /users"]["answers"]["200"]) == {
        "items[].address.city", "items[].id", "items[].name", "next",
    }  # fmt: skip


def test_nothing_secret_is_written(recorded: Path) -> None:
    text = "".join(path.read_text() for path in recorded.glob("*.json"))
    assert [secret for secret in SECRETS if secret in text] == []
    assert "X-Api-Key" not in text and "Authorization" not in text


def test_a_second_run_merges_without_changing_what_was_there(tmp_path: Path, recorded: Path) -> None:
    before = (recorded / "web.json").read_text()
    _session(tmp_path, recorded, run="2")  # the same session: the same file, byte for byte
    assert (recorded / "web.json").read_text() == before
    app = create_app(make_settings(tmp_path / "data3", dev=True, spec=SPEC, record=recorded))
    with TestClient(app) as client:
        client.get("/users?limit=2", headers={"Authorization": "Bearer y", "X-Hub-Consumer": "web"})
    after = json.loads((recorded / "web.json").read_text())
    assert {k: v for k, v in after["operations"].items() if k != "GET /users"} == WEB["operations"]
    assert after["operations"]["GET /users"]["parameters"] == {"query limit": "2"}


def _check(directory: Path, spec: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = cli.main(["consumers", "check", str(directory), "--spec", str(spec)])
    out, err = capsys.readouterr()
    return status, out.splitlines() + err.splitlines()


def _edited(tmp_path: Path, edit: Any) -> Path:
    document = yaml.safe_load(SPEC.read_text())
    edit(document)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_check_passes_on_the_document_recorded_against(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = _check(recorded, SPEC, capsys)
    assert (status, lines) == (0, ["hub consumers check: 0 use(s) broken, of 3 operation(s) and interaction(s) used"])


def test_a_removed_answer_field_names_each_consumer_operation_and_example(
    tmp_path: Path, recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = _edited(tmp_path, lambda d: d["components"]["schemas"]["Address"]["properties"].pop("city"))
    status, lines = _check(recorded, edited, capsys)
    assert status == 1
    assert lines[:-1] == [
        'default: GET /users: answer 200 field items[].address.city is no longer documented (example: items[].address.city = "Lyon")',
        'web: GET /users/{userId}: answer 200 field address.city is no longer documented (example: address.city = "Lyon")',
        'web: POST /users: request field address.city is no longer documented (example: address.city = "Lyon")',
        'web: POST /users: answer 201 field address.city is no longer documented (example: address.city = "Lyon")',
    ]


def test_a_removed_operation_or_status_and_a_changed_type_are_breaks(
    tmp_path: Path, recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(document: dict[str, Any]) -> None:
        del document["paths"]["/users/{userId}"]
        document["paths"]["/users"]["get"]["parameters"][0]["schema"] = {"type": "boolean"}
        document["components"]["schemas"]["User"]["properties"]["name"] = {"type": "integer"}
        del document["paths"]["/users"]["post"]["responses"]["201"]
        document["paths"]["/users"]["post"]["responses"]["200"] = {"description": "created"}

    status, lines = _check(recorded, _edited(tmp_path, edit), capsys)
    assert status == 1
    assert lines[:-1] == [
        "default: GET /users: query parameter limit is no longer of the type sent (boolean) (example: \"5\")",
        'default: GET /users: answer 200 field items[].name is no longer of the type used (integer) (example: items[].name = "Bob")',
        f"web: GET /users/{{userId}}: the operation is no longer in the document (example: GET /users/{USER_ID})",
        'web: POST /users: status 201 is no longer documented (example: address.city = "Lyon", id = "' + USER_ID + '", name = "Bob")',
    ]


def test_check_cannot_check_a_missing_folder_or_a_file_not_a_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _check(tmp_path / "nowhere", SPEC, capsys)[0] == 2
    (tmp_path / "broken.json").write_text("{")
    status, lines = _check(tmp_path, SPEC, capsys)
    assert status == 2 and "broken.json: not JSON" in lines[0]


def test_a_consumer_is_named_by_its_api_key_without_the_header(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", record=tmp_path / "consumers")
    stores = open_backend(settings.data_dir, "")
    try:
        key = auth.create_key(stores.system, settings.pepper, account="acme", name="console app")[1]
    finally:
        stores.close()
    with create_app(settings).test_client() as client:
        assert client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    contract = json.loads((tmp_path / "consumers" / "console-app.json").read_text())
    assert contract["consumer"] == "console-app" and list(contract["operations"]) == ["GET /api/v1/campaigns"]
    assert key not in (tmp_path / "consumers" / "console-app.json").read_text()


def test_a_recording_that_fails_never_fails_the_request(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "taken").write_text("a file where the folder would be")
    app = create_app(make_settings(tmp_path / "data", dev=True, spec=SPEC, record=tmp_path / "taken"))
    with caplog.at_level(logging.WARNING), TestClient(app) as client:
        for limit in (1, 2):
            assert client.get(f"/users?limit={limit}", headers={"Authorization": "Bearer x"}).status_code == 200
        assert client.get("/users/u1", headers={"Authorization": "Bearer x"}).status_code in (200, 404)
    assert len([r for r in caplog.records if "--record" in r.getMessage()]) == 1


def test_fields_are_json_paths_with_the_first_example() -> None:
    body = {"items": [{"id": 1, "tags": []}, {"id": 2, "note": None}], "a.b": {"c": "x" * 100}, "empty": {}}
    assert fields(body) == {"items[].id": 1, "items[].tags": [], "items[].note": None, '["a.b"].c': "x" * 79 + "…", "empty": {}}
    assert fields("plain") == {"$": "plain"}
    assert segments('items[].x["a.b"].c') == ["items", "[]", "x", "a.b", "c"]
    assert union({"a": {"x": 1}}, {"a": {"x": 2, "y": 3}, "b": 4}) == {"a": {"x": 1, "y": 3}, "b": 4}


def test_a_path_may_lead_through_any_branch_and_a_free_form_object() -> None:
    schema = {"oneOf": [{"type": "object", "properties": {"cat": {"type": "string"}}},
                        {"type": "object", "properties": {"dog": {"type": "integer"}}}],
              "properties": {"meta": {"type": "object"}}}  # fmt: skip
    assert locate(schema, ["dog"]) == [{"type": "integer"}]
    assert locate(schema, ["bird"]) == []
    assert locate(schema, ["meta", "anything", "[]"]) != []
    assert fitting(locate(schema, ["dog"]), 3) and not fitting(locate(schema, ["dog"]), "three")
    assert fitting([{"type": "string", "nullable": True}], None)


@pytest.mark.live
def test_a_real_server_writes_the_file_as_it_serves_and_a_restart_merges_into_it(tmp_path: Path) -> None:
    record, flags = tmp_path / "consumers", ("--dev", "--spec", str(SPEC), "--record", str(tmp_path / "consumers"))
    spa = {"Authorization": "Bearer live-secret", "X-Hub-Consumer": "spa"}
    with servers.serving(tmp_path / "data", {}, *flags) as (base, _log):
        assert httpx.get(f"{base}/users?limit=3", headers=spa).status_code == 200
        first = json.loads((record / "spa.json").read_text())  # written while serving, not at the stop
        servers.PROCESSES[base].kill()  # a crash loses nothing already answered
    with servers.serving(tmp_path / "data", {}, *flags) as (base, _log):
        assert httpx.get(f"{base}/users?limit=4", headers=spa).status_code == 200
        assert httpx.get(f"{base}/users/u1", headers=spa).status_code in (200, 404)
    after = json.loads((record / "spa.json").read_text())
    assert after["operations"]["GET /users"] == first["operations"]["GET /users"]
    assert sorted(after["operations"]) == ["GET /users", "GET /users/{userId}"]
    assert "live-secret" not in (record / "spa.json").read_text()
