"""Helpers that several test modules share (a test module never imports another)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SPECS = Path(__file__).parent / "specs"
CORPUS = sorted(SPECS.glob("*.yaml"))
"""OpenAPI documents no one here wrote the server for (tests/specs/; those of no operations to serve,
in tests/specs/no-paths/, are not among them)."""
T0 = datetime(2030, 1, 1, tzinfo=timezone.utc)
"""The fixed clock that dispatcher tests start from."""


def assert_error(response: Any, status: int, message: str) -> None:
    """Every error is a JSON string with Content-Type application/json."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, str)
    assert message in body, body


# a summary of a campaign written into our document before its handler: served by the mock, under
# the implemented campaign read
SUMMARY = {"/api/v1/campaigns/{id}/summary": {"get": {
    "operationId": "getCampaignSummary", "tags": ["Campaigns"], "security": [{"bearerAuth": []}],
    "parameters": [{"$ref": "#/components/parameters/CampaignId"}],
    "responses": {
        "200": {"description": "A summary.", "content": {"application/json": {"schema": {
            "type": "object", "required": ["status", "contacts_total", "answer_rate", "headline"],
            "properties": {"status": {"type": "string"}, "contacts_total": {"type": "integer", "minimum": 0},
                           "answer_rate": {"type": "number", "minimum": 0, "maximum": 1},
                           "headline": {"type": "string"},
                           "name": {"type": "integer"}}}}}},  # a same-named field of another type: not filled
        "404": {"$ref": "#/components/responses/NotFound"}, "401": {"$ref": "#/components/responses/Unauthorized"}},
}}}  # fmt: skip


def with_paths(tmp_path: Path, paths: dict[str, Any]) -> Path:
    """Our document with `paths` added, written in `tmp_path`."""
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    document["paths"].update(paths)
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return path


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: null removes a key, a list is replaced whole."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


CONSUMERS = ROOT / "consumers"
"""The committed consumer contracts: what our own frontends use of openapi.yaml (the spec gate reads them)."""
RERECORD = "HUB_RERECORD_CONSUMERS"
"""Set (by `make consumers`), the browser tests merge what they record into CONSUMERS instead of checking it."""


def assert_recorded_is_committed(recorded: Path, environ: dict[str, str]) -> None:
    """Every use recorded in `recorded` (a `hub serve --record` folder) is already in the committed
    contracts: a frontend that starts using a field fails here until its contract is re-recorded."""
    from kataven_hub.consumers.files import ContractFiles, read_all

    contracts = read_all(recorded)
    assert contracts, f"nothing recorded in {recorded}"
    for path, contract in contracts:
        if environ.get(RERECORD):
            ContractFiles(CONSUMERS).save(contract)
            continue
        committed = CONSUMERS / path.name
        missing = _missing(contract, json.loads(committed.read_text()) if committed.exists() else {}, "")
        assert not missing, (
            f"consumers/{path.name} lacks what the frontend now uses: {', '.join(missing[:5])}"
            f"{' …' if len(missing) > 5 else ''}. Re-record it with `make consumers` (docs/guides/frontend/consumer-gate.md,"
            " \"The gate knows your consumers\"), and commit it"
        )


def _missing(recorded: Any, committed: Any, at: str) -> list[str]:
    """The keys of `recorded`, at any depth, that `committed` lacks (their values are examples: not compared)."""
    if not isinstance(recorded, dict):
        return []
    if not isinstance(committed, dict):
        return [at or "/"]
    found = []
    for key, value in sorted(recorded.items()):
        found += _missing(value, committed[key], f"{at}/{key}") if key in committed else [f"{at}/{key}"]
    return found
