"""Keep the artifacts in step: the spec is valid, every operationId has a handler and every
handler an operationId, every setting is documented, every error status is in the spec."""

import inspect
import re
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from kataven_hub import cli
from kataven_hub import openapi as spec_module
from kataven_hub.openapi import routing
from kataven_hub.settings import DEFAULT_SPEC as SPEC
from kataven_hub.settings import ENVIRONMENT

ROOT = Path(__file__).resolve().parents[1]
METHODS = {"get", "post", "put", "patch", "delete"}


def operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        op["operationId"]: op
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in METHODS
    }


def test_the_spec_is_valid_openapi_3_0() -> None:
    spec_dict, base_uri = read_from_filename(str(SPEC))
    validate(spec_dict, base_uri=base_uri)
    assert spec_dict["openapi"] == "3.0.3"


def test_every_operation_id_resolves_to_a_handler(spec: dict[str, Any]) -> None:
    handlers = routing.handlers(routing.handler_modules())
    for operation in spec_module.operations(spec):
        handler = handlers.get(operation.function)
        assert handler is not None and inspect.iscoroutinefunction(handler), operation.operation_id
        assert not routing.is_stub(handler), operation.operation_id


def test_every_handler_is_referenced_by_the_spec(spec: dict[str, Any]) -> None:
    assert routing.unserved(spec_module.operations(spec)) == []


def test_every_operation_documents_its_errors_as_json_strings(spec: dict[str, Any]) -> None:
    for operation_id, op in operations(spec).items():
        for required in ("summary", "description", "tags", "security"):
            assert op.get(required), (operation_id, required)
        statuses = set(op["responses"])
        assert {"400", "401", "403", "429", "500"} <= statuses, operation_id
        for status, response in op["responses"].items():
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].split("/")[-1]]
            if status == "429":  # contract §1: the request-rate 429 alone is text/plain, with Retry-After
                assert response["content"]["text/plain"]["schema"] == {"type": "string"}
                assert "Retry-After" in response["headers"]
            elif status.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"] == {"type": "string"}


def test_the_seed_contract_is_kept(spec: dict[str, Any]) -> None:
    create = spec["paths"]["/api/v1/campaigns"]["post"]
    assert create["operationId"] == "postApiV1Campaigns"
    assert create["tags"] == ["Campaigns"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    assert any(p.get("$ref", "").endswith("AccountHeader") for p in create["parameters"])
    assert spec["components"]["parameters"]["AccountHeader"]["name"] == "X-Account-ID"
    seed_fields = {
        "agent_id", "completed_at", "created_at", "created_by", "id", "max_concurrent_calls", "name",
        "phone_number_id", "retries_per_contact", "retry_delay_seconds", "scheduled_at", "started_at",
        "status",
    }  # fmt: skip
    assert seed_fields <= set(spec["components"]["schemas"]["data.Campaign"]["properties"])
    form = create["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["$ref"].endswith("CampaignCreateForm")
    assert any(s["url"] == "http://localhost:8081" for s in spec["servers"])


def test_the_table_of_settings_is_the_declarations() -> None:
    """One row per declared setting in docs/reference/settings.md, no other; its flag column names the
    flag `hub serve` has for it."""
    page = (ROOT / "docs" / "reference" / "settings.md").read_text()
    table = page[page.index("# Settings"):page.index("\n\n", page.index("| variable | flag |"))]
    rows = {m[1]: m[2] for m in re.finditer(r"^\| `(HUB_[A-Z_]+)` \| ?(`--[a-z-]+`)? ?\|", table, flags=re.MULTILINE)}
    assert sorted(rows) == sorted(ENVIRONMENT)
    flags = {name: f"`--{name.replace('_', '-')}`" for name in cli._SETTING_FLAGS}
    assert {variable: flag for variable, flag in rows.items() if flag} == {
        variable: flags[name] for variable, (name, _help) in ENVIRONMENT.items() if name in flags
    }
