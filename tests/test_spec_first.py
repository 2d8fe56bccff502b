"""The spec leads: operations added to a copy of openapi.yaml are served at once from the spec, on
a live server; `hub routes` says so; `hub scaffold` writes stubs that lint and type-check and keep
the answers; `hub routes --check` fails until they are implemented."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator

from support.servers import BIN, hub, serving
from tests.conftest import AGENT, CSV, NUMBER_ID
from tests.project import add_operations, copy_project, env

pytestmark = pytest.mark.live

CAMPAIGN = "0b6f5a4e-2f7d-4c1a-9e53-7d2c8a1b9f10"
SUMMARY_SCHEMA = {
    "type": "object", "required": ["total", "completed"],
    "properties": {"total": {"type": "integer", "minimum": 0}, "completed": {"type": "integer", "minimum": 0},
                   "status": {"type": "string"}},
}  # fmt: skip
REPORT_SCHEMA = {
    "type": "object", "required": ["reports"],
    "properties": {"reports": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["id", "at", "kind"],
        "properties": {"id": {"type": "string", "format": "uuid"}, "at": {"type": "string", "format": "date-time"},
                       "kind": {"type": "string", "enum": ["daily", "weekly"]}}}}},
}  # fmt: skip
NEW_OPERATIONS = {
    "/api/v1/campaigns/{id}/summary": {"get": {
        "tags": ["Campaigns"], "summary": "Summarize a campaign", "operationId": "getApiV1CampaignsIdSummary",
        "parameters": [{"$ref": "#/components/parameters/CampaignId"}],
        "responses": {
            "200": {"description": "The summary.", "content": {"application/json": {
                "schema": SUMMARY_SCHEMA, "example": {"total": 200, "completed": 120, "status": "running"}}}},
            "404": {"$ref": "#/components/responses/NotFound"},
        },
    }},
    "/api/v1/reports": {"get": {
        "tags": ["Reports"], "summary": "List reports", "operationId": "getApiV1Reports",
        "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 10}}],
        "responses": {"200": {"description": "Reports.", "content": {"application/json": {"schema": REPORT_SCHEMA}}}},
    }},
}  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = copy_project(tmp_path / "project")
    add_operations(copy, NEW_OPERATIONS)
    return copy


def run(copy: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=copy, env={**os.environ, **env(copy)}, capture_output=True, text=True,
        check=check,
    )  # fmt: skip


def routes(copy: Path) -> dict[str, str]:
    """operationId -> what serves it, from `hub routes`."""
    lines = run(copy, "hub", "routes").stdout.splitlines()
    return {line.split()[2]: line.split()[3] for line in lines}


def answers(base: str, key: str) -> dict[str, httpx.Response]:
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=auth) as client:
        create = client.post(
            "/api/v1/campaigns", data={"name": "n", "agent_id": AGENT, "phone_number_id": NUMBER_ID},
            files={"contacts": ("c.csv", CSV, "text/csv")},
        )  # fmt: skip
        return {
            "create": create,
            "summary": client.get(f"/api/v1/campaigns/{create.json()['id']}/summary"),
            "unknown summary": client.get(f"/api/v1/campaigns/{CAMPAIGN}/summary"),
            "reports": client.get("/api/v1/reports", params={"limit": 3}),
            "list": client.get("/api/v1/campaigns"),
            "unauthenticated": httpx.get(f"{base}/api/v1/reports"),
        }


def assert_served_from_the_spec(got: dict[str, httpx.Response]) -> None:
    summary, reports = got["summary"], got["reports"]
    assert (summary.status_code, summary.headers["x-hub-mock"]) == (200, "stored")  # the campaign's status
    assert summary.json() == {"total": 200, "completed": 120, "status": "draft"}
    unknown = got["unknown summary"]  # below the implemented campaign read: its 404
    assert (unknown.status_code, unknown.json()) == (404, "Campaign not found")
    assert (reports.status_code, reports.headers["x-hub-mock"]) == (200, "generated")
    Draft4Validator(REPORT_SCHEMA, format_checker=Draft4Validator.FORMAT_CHECKER).validate(reports.json())
    assert got["unauthenticated"].status_code == 401  # auth first, as for any operation
    assert got["list"].status_code == 200 and "x-hub-mock" not in got["list"].headers
    assert got["create"].status_code == 201 and "x-hub-mock" not in got["create"].headers


def test_new_operations_are_served_from_the_spec_then_scaffolded(project: Path) -> None:
    data_dir = project / "data"
    environment = {"HUB_PEPPER": "spec-first", "HUB_VALIDATE_RESPONSES": "1", **env(project)}
    key = hub("keys", "create", "--account", "acme", "--data-dir", str(data_dir), env=environment).stdout.split()[-1]
    with serving(data_dir, environment) as (base, log):
        assert_served_from_the_spec(answers(base, key))
    started = log.read_text()
    assert "served from the spec (mock): GET /api/v1/reports (getApiV1Reports)" in started
    assert "Traceback" not in started
    served = routes(project)
    assert served["getApiV1CampaignsIdSummary"] == served["getApiV1Reports"] == "mock"
    assert served["getApiV1Campaigns"] == "handlers.campaigns:get_api_v1_campaigns"

    wrote = run(project, "hub", "scaffold").stdout
    assert "get_api_v1_campaigns_id_summary into" in wrote and "get_api_v1_reports into" in wrote
    written = {path: path.read_text() for path in (project / "handlers").glob("*.py")}
    assert run(project, "hub", "scaffold").stdout.startswith("nothing to scaffold")
    assert written == {path: path.read_text() for path in (project / "handlers").glob("*.py")}  # run twice: no change
    assert run(project, "ruff", "check", "handlers").returncode == 0
    typed = run(project, "mypy", "handlers", check=False)
    assert typed.returncode == 0, typed.stdout
    served = routes(project)
    assert served["getApiV1CampaignsIdSummary"] == served["getApiV1Reports"] == "stub"
    checked = run(project, "hub", "routes", "--check", check=False)
    assert checked.returncode == 1
    assert "stub: GET /api/v1/reports (getApiV1Reports)" in checked.stderr
    assert "stub: GET /api/v1/campaigns/{id}/summary (getApiV1CampaignsIdSummary)" in checked.stderr

    with serving(data_dir, environment) as (base, _log):  # the stubs answer what the mocks did
        assert_served_from_the_spec(answers(base, key))


def test_a_handler_no_operation_serves_fails_the_check(tmp_path: Path) -> None:
    copy = copy_project(tmp_path / "project")
    with open(copy / "handlers" / "campaigns.py", "a") as module:
        module.write("\n\nasync def get_api_v1_forgotten() -> None:\n    return None\n")
    checked = run(copy, "hub", "routes", "--check", check=False)
    assert checked.returncode == 1
    assert "dead: handlers.campaigns:get_api_v1_forgotten is served by no operation\n" in checked.stderr


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda s: s.replace("openapi: 3.0.3", "swagger: '2.0'"), "not an OpenAPI 3.0, 3.1 or 3.2 document (openapi: '2.0')"),
        (lambda s: s.replace("          description: The account's campaigns.\n", "", 1),
         "invalid OpenAPI at $.paths['/api/v1/campaigns'].get.responses[200]"),
        (lambda s: s + "\n  : [unbalanced\n", "not YAML"),
    ],
    ids=["Swagger 2.0", "a response without a description", "not YAML"],
)  # fmt: skip
def test_an_invalid_spec_refuses_to_start_in_one_line(tmp_path: Path, damage: Any, says: str) -> None:
    copy = copy_project(tmp_path / "project")
    spec = copy / "openapi.yaml"
    spec.write_text(damage(spec.read_text()))
    started = run(copy, "hub", "serve", "--data-dir", str(tmp_path / "data"), "--dev", check=False)
    assert started.returncode == 2
    assert started.stderr.startswith(f"hub: {spec}: ") and says in started.stderr, started.stderr
    assert len(started.stderr.strip().splitlines()) == 1 and "Traceback" not in started.stderr
