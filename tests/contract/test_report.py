"""The contract run's verdict on coverage: an implemented operation that never answered its
success code fails the run, named; one served by the mock, or not run, does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kataven_hub.contract.report import report

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"


def _record(tmp_path: Path, answers: list[tuple[str, int]]) -> Path:
    record = tmp_path / "answers.jsonl"
    record.write_text("".join(json.dumps({"operation": o, "status": s}) + "\n" for o, s in answers))
    return record


EVERY_SUCCESS = [
    ("GET /api/v1/campaigns", 200), ("POST /api/v1/campaigns", 201), ("GET /api/v1/campaigns/{id}", 200),
    ("DELETE /api/v1/campaigns/{id}", 204), ("GET /api/v1/campaigns/{id}/contacts", 200),
    ("POST /api/v1/campaigns/{id}/start", 200), ("POST /api/v1/campaigns/{id}/pause", 200),
    ("POST /api/v1/campaigns/{id}/resume", 200), ("POST /api/v1/campaigns/{id}/stop", 200),
    ("GET /api/v1/call-limits", 200),
]  # fmt: skip


def test_every_success_answered_passes(tmp_path: Path) -> None:
    assert report(_record(tmp_path, EVERY_SUCCESS), implemented=None, document=SPEC) == 0


def test_a_success_never_answered_fails_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = [a for a in EVERY_SUCCESS if "resume" not in a[0]] + [("POST /api/v1/campaigns/{id}/resume", 409)]
    assert report(_record(tmp_path, answers), implemented=None, document=SPEC) == 1
    out = capsys.readouterr()
    assert "postApiV1CampaignsIdResume (POST /api/v1/campaigns/{id}/resume) never answered its success code 200" in out.err
    assert "409×1  ✘ 200 never answered" in out.out


def test_an_operation_served_by_the_mock_is_not_required(tmp_path: Path) -> None:
    answers = [a for a in EVERY_SUCCESS if "resume" not in a[0]]
    implemented = {"getApiV1Campaigns", "postApiV1Campaigns", "getApiV1CampaignsId", "deleteApiV1CampaignsId",
                   "getApiV1CampaignsIdContacts", "postApiV1CampaignsIdStart", "postApiV1CampaignsIdPause",
                   "postApiV1CampaignsIdStop", "getApiV1CallLimits"}  # fmt: skip
    assert report(_record(tmp_path, answers), implemented=implemented, document=SPEC) == 0
