"""OpenAPI 3.1 documents behind a real `hub serve`: one of webhooks alone starts and serves only
the documents and the control surface; `/openapi.json` is the document as written (its $refs
resolved, as on every document); the control surface gives fresh accounts and resets them; `hub
scaffold` writes stubs for the operations served, none for the webhooks and callbacks sent."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from support.servers import BIN, serving
from tests.helpers import SPECS
from tests.project import copy_project, env

pytestmark = pytest.mark.live

SENDING = SPECS / "webhooks-3.1.yaml"
WEBHOOKS_ONLY = SPECS / "no-paths" / "webhooks-only.yaml"


def run(copy: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=copy, env={**os.environ, **env(copy)}, capture_output=True, text=True,
        check=check,
    )  # fmt: skip


def test_a_document_of_webhooks_alone_starts_and_serves_nothing_but_its_own_routes(tmp_path: Path) -> None:
    with serving(tmp_path / "data", {"HUB_SPEC": str(WEBHOOKS_ONLY)}, "--dev") as (base, log):
        with httpx.Client(base_url=base) as client:
            served = client.get("/openapi.json").json()  # as written: a 3.1 document keeps its $refs
            assert (served["openapi"], "paths" in served) == ("3.1.0", False)
            body = served["webhooks"]["newPet"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Pet"}
            assert served["components"]["schemas"]["Pet"]["properties"]["tag"] == {"type": ["string", "null"]}
            assert client.get("/ui/").status_code == 200
            assert client.post("/newPet", json={"name": "Rex"}).status_code == 404
            assert client.post("/_hub/accounts").status_code == 201
    text = log.read_text()
    assert "0 operations" in text and "Traceback" not in text and "ERROR" not in text


def _keyed(tmp_path: Path) -> Path:
    """The 3.1 fixture with our keys as its security scheme: what is created is kept per account."""
    document: dict[str, Any] = yaml.safe_load(SENDING.read_text())
    document["components"]["securitySchemes"] = {"keys": {"type": "http", "scheme": "bearer", "x-hub-auth": "keys"}}
    document["security"] = [{"keys": []}]
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_the_control_surface_gives_fresh_accounts_and_resets_them_on_a_31_document(tmp_path: Path) -> None:
    document = _keyed(tmp_path)
    with serving(tmp_path / "data", {"HUB_SPEC": str(document)}, "--dev") as (base, log):
        with httpx.Client(base_url=base) as client:
            served = client.get("/openapi.json").json()
            assert served["openapi"] == "3.1.0" and "newPet" in served["webhooks"]
            fresh = [client.post("/_hub/accounts").json() for _ in range(2)]
            (mine, other) = ({"Authorization": f"Bearer {account['key']}"} for account in fresh)
            created = client.post("/subscriptions", headers=mine, json={"callbackUrl": "https://example.com/h", "note": None})
            assert created.status_code == 201, created.text
            assert created.headers["x-hub-mock"] == "stored"
            assert [s["callbackUrl"] for s in client.get("/subscriptions", headers=mine).json()] == ["https://example.com/h"]
            assert client.get("/subscriptions", headers=other).json() == []
            reset = client.post(f"/_hub/accounts/{fresh[0]['account']}/reset")
            assert reset.status_code == 200, reset.text
            assert client.get("/subscriptions", headers=mine).json() == []
            assert client.get(f"/subscriptions/{created.json()['id']}", headers=mine).status_code == 404
            assert client.get(f"/_hub/accounts/{fresh[0]['account']}/clock").status_code == 200
    assert "Traceback" not in log.read_text()


def _empty_project(tmp_path: Path, document: Path) -> Path:
    copy = copy_project(tmp_path / "project")
    for module in (copy / "handlers").glob("*.py"):
        if module.name != "__init__.py":
            module.unlink()
    shutil.copy(document, copy / "openapi.yaml")
    return copy


def test_scaffold_writes_stubs_for_the_operations_served_and_none_for_what_is_sent(tmp_path: Path) -> None:
    copy = _empty_project(tmp_path, SENDING)
    wrote = run(copy, "hub", "scaffold").stdout
    functions = sorted(line.split()[1] for line in wrote.splitlines())
    assert functions == ["create_subscription", "get_subscription", "list_subscriptions"], wrote
    checked = run(copy, "hub", "routes", "--check", check=False)
    assert checked.returncode == 1
    assert [line.split(":")[0] for line in checked.stderr.splitlines()[:-1]] == ["stub"] * 3, checked.stderr
    assert "webhooks (sent by the API, not served):" in checked.stdout


def test_a_document_of_webhooks_alone_has_nothing_to_scaffold_and_passes_the_check(tmp_path: Path) -> None:
    copy = _empty_project(tmp_path, WEBHOOKS_ONLY)
    assert run(copy, "hub", "scaffold").stdout.startswith("nothing to scaffold")
    assert [p.name for p in (copy / "handlers").glob("*.py")] == ["__init__.py"]
    checked = run(copy, "hub", "routes", "--check", check=False)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[-1] == "hub routes --check: every one of the 0 operations has a handler, and every handler an operation"
