"""Helpers that several test modules share (a test module never imports another)."""

from __future__ import annotations

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
