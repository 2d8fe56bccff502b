"""`hub contract --replay DIR`: a consumer contract recorded through a real `hub serve --record`
(create a campaign, read it, list them) replayed against our server, where it holds, and against a
copy whose read handler drops a field the consumer received, where it fails naming the field; and,
without a server, the body rebuilt from field paths, the order and the linking of ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kataven_hub import cli, openapi
from kataven_hub.consumers.contract import fields
from kataven_hub.consumers.unflatten import reach, unflatten
from kataven_hub.contract.answered import against_consumer
from kataven_hub.contract.rebuild import rebuild
from kataven_hub.contract.replay import link, order
from support import servers

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
CONTACTS = b"phone_number,first_name\r\n+14155552671,Ada\r\n+442079460958,Grace\r\n"
FORM = {"name": "Spring renewals", "agent_id": "3f1c2b9e-8d4a-4f6e-9b7a-2c5d8e1f0a34",
        "phone_number_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}  # fmt: skip

DROPPED = "contacts_total"
"""What tests/replay/dropping_server.py drops (not imported from there: importing it patches the
campaign read handler for the whole test process)."""


def test_a_body_is_rebuilt_from_its_field_paths() -> None:
    body = {"name": "Bob", "address": {"city": "Lyon"}, "items": [{"id": 1, "tags": ["a"]}], "a.b": {"c": True}}
    assert unflatten(fields(body)) == body
    assert unflatten({"tags": [], "tags[].x": 1}) == {"tags": [{"x": 1}]}  # a later run's deeper path wins
    assert unflatten({"$": "plain"}) == "plain"
    assert unflatten({"$": []}) == []


def test_a_path_reaches_every_item_and_names_the_empty_array_on_the_way() -> None:
    assert reach({"items": [{"id": 1}, {"id": 2}]}, ["items", "[]", "id"]) == ([1, 2], None)
    assert reach({"items": []}, ["items", "[]", "id"]) == ([], "items")
    assert reach({"items": [{}]}, ["items", "[]", "id"]) == ([], None)


def test_each_field_is_checked_for_its_json_type_and_an_empty_array_is_no_failure() -> None:
    answers = {"200": {"items[].name": "Bob", "total": 3, "next": None}}
    assert against_consumer(answers, 200, {"items": [{"name": "Al"}], "total": 1, "next": "x"}) == ([], [])
    problems, notes = against_consumer(answers, 200, {"items": [], "total": "3"})
    assert problems == ['200 field next: expected null, got nothing (missing)', '200 field total: expected number, got string ("3")']
    assert notes == ["items is empty, so items[].name not seen"]
    assert against_consumer(answers, 404, "gone")[0] == ["answered 404, the consumer received 200 (its fields not checked)"]
    assert against_consumer({}, 200, {}) == ([], [])  # no answer recorded (its status was not documented)


def test_creates_go_first_deletes_last_and_parents_before_children() -> None:
    uses = dict.fromkeys(["DELETE /a/{id}", "GET /a/{id}", "POST /a/{id}/start", "GET /a", "POST /a", "PATCH /a/{id}"], {})
    assert order(uses) == ["POST /a", "POST /a/{id}/start", "GET /a", "GET /a/{id}", "PATCH /a/{id}", "DELETE /a/{id}"]


def test_a_path_parameter_is_linked_to_what_the_replayed_answer_gave() -> None:
    uses: dict[str, Any] = {
        "POST /a": {"answers": {"201": {"id": "old-1", "count": 7}}},
        "GET /a/{id}": {"parameters": {"path id": "old-1"}},
        "GET /a/{id}/b/{bid}": {"parameters": {"path id": "old-1", "path bid": "elsewhere"}},
        "POST /a/{id}/b": {"answers": {"201": {"name": "x"}}},
        "GET /c/{cid}": {"parameters": {"path cid": "7"}},
    }
    answers = {"POST /a": (201, {"id": "new-1", "count": 8}), "POST /a/{id}/b": (201, {"id": "new-b"})}
    assert link("GET /a/{id}", uses["GET /a/{id}"], uses, answers) == ({"id": "new-1"}, ["{id} from POST /a 201 id"])
    values, notes = link("GET /a/{id}/b/{bid}", uses["GET /a/{id}/b/{bid}"], uses, answers)
    assert values == {"id": "new-1", "bid": "new-b"}  # no answer had `elsewhere`: the create on its parent did
    assert notes[0] == "{bid} from POST /a/{id}/b 201 id"
    assert link("GET /c/{cid}", uses["GET /c/{cid}"], uses, answers) == ({"cid": "8"}, ["{cid} from POST /a 201 count"])


def test_a_redacted_or_unrecorded_value_is_the_documents_example_or_drawn_for_its_schema() -> None:
    create = next(op for op in openapi.operations(openapi.load(SPEC)) if op.operation_id == "postApiV1Campaigns")
    used = {"request": {"name": "", "agent_id": "", "phone_number_id": "", "contacts": "<file>"},
            "parameters": {"header Idempotency-Key": "<redacted>"}}  # fmt: skip
    request = rebuild(create, used, {}, "acme", 1)
    assert request.data == FORM and request.files is not None
    assert request.files["contacts"][1].startswith(b"phone_number,first_name,plan\n")
    assert request.headers["Idempotency-Key"] not in ("", "<redacted>")


def test_replay_cannot_run_without_a_folder_a_contract_or_a_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["contract", "--spec", str(SPEC), "--report-dir", str(tmp_path / "reports")]
    assert cli.main([*base, "--replay", str(tmp_path / "none")]) == 2
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "web.json").write_text('{"consumer": "web"}')
    assert cli.main([*base, "--replay", str(tmp_path / "bad")]) == 2
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "web.json").write_text(json.dumps({"consumer": "web", "operations": {"GET /api/v1/campaigns": {}}}))
    assert cli.main([*base, "--replay", str(tmp_path / "good"), "--url", f"http://127.0.0.1:{servers.free_port()}",
                     "--token", "k"]) == 2  # fmt: skip
    errors = capsys.readouterr().err
    assert "no such folder" in errors and "not a consumer contract" in errors and "cannot be reached" in errors


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `console` consumer's contract, recorded by a real `hub serve --dev --record` while it
    creates a campaign, reads it and lists the campaigns."""
    tmp = tmp_path_factory.mktemp("recorded")
    folder = tmp / "consumers"
    with servers.serving(tmp / "data", {}, "--dev", "--spec", str(SPEC), "--record", str(folder)) as (base, _log):
        key = servers.hub("keys", "create", "--account", "acme", "--name", "console", "--data-dir", str(tmp / "data"),
                          env={}).stdout.split()[-1]  # fmt: skip
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as console:
            created = console.post("/api/v1/campaigns", data=FORM, files={"contacts": ("contacts.csv", CONTACTS, "text/csv")})
            assert created.status_code == 201, created.text
            assert console.get(f"/api/v1/campaigns/{created.json()['id']}").json()[DROPPED] == 2
            assert console.get("/api/v1/campaigns").status_code == 200
    contract = json.loads((folder / "console.json").read_text())
    assert sorted(contract["operations"]) == ["GET /api/v1/campaigns", "GET /api/v1/campaigns/{id}", "POST /api/v1/campaigns"]
    assert contract["operations"]["GET /api/v1/campaigns/{id}"]["answers"]["200"][DROPPED] == 2
    return folder


def _replay(folder: Path, tmp_path: Path, *flags: str) -> tuple[int, str]:
    done = subprocess.run(
        [str(servers.BIN / "hub"), "contract", "--spec", str(SPEC), "--replay", str(folder),
         "--report-dir", str(tmp_path / "reports"), *flags],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


@pytest.mark.live
def test_replay_holds_against_our_own_server(recorded: Path, tmp_path: Path) -> None:
    code, output = _replay(recorded, tmp_path)  # no --url: a fresh server of --spec, which never saw the recorded id
    assert code == 0, output
    assert "console: GET /api/v1/campaigns/{id}: ok (200); {id} from POST /api/v1/campaigns 201 id" in output
    assert "console: POST /api/v1/campaigns: ok (201)" in output
    report = (tmp_path / "reports" / "replay-junit.xml").read_text()
    assert 'tests="3" failures="0"' in report


@pytest.fixture
def dropping(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server whose campaign read drops `contacts_total`, and a key of its."""
    data, port = tmp_path / "data", servers.free_port()
    env = {**os.environ, "HUB_PEPPER": "replay-test-pepper", "HUB_DISPATCH": "0"}
    key = servers.hub("keys", "create", "--account", "acme", "--data-dir", str(data), env=env).stdout.split()[-1]
    with open(tmp_path / "server.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.replay.dropping_server", "serve", "--port", str(port), "--data-dir", str(data)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            servers.wait_until_up(f"http://127.0.0.1:{port}/openapi.json", server, tmp_path / "server.log")
            yield f"http://127.0.0.1:{port}", key
        finally:
            server.terminate()
            server.wait(timeout=20)


@pytest.mark.live
def test_replay_fails_naming_the_field_a_server_no_longer_sends(recorded: Path, dropping: tuple[str, str], tmp_path: Path) -> None:
    base, key = dropping
    code, output = _replay(recorded, tmp_path, "--url", base, "--token", key, "--account", "acme")
    assert code == 1, output
    assert f"console: GET /api/v1/campaigns/{{id}}: 200 field {DROPPED}: expected number, got nothing (missing)" in output
    assert "console: GET /api/v1/campaigns: ok (200)" in output
    assert "hub contract --replay: 1 of 3 operation(s) broken" in output
    assert f'<failure message="200 field {DROPPED}' in (tmp_path / "reports" / "replay-junit.xml").read_text()
