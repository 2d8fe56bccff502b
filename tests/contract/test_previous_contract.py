"""The dynamic half of the gate on the spec, and a contract run that can be trusted twice: on a copy
of the project whose handler stops sending a field the previous document required (and whose new
document dropped it too), `hub contract --base-spec <previous>` fails naming the operation and
the field, and passes once the field is back; two runs with one seed report the same cases."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.project import copy_project, env

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[2]
READ = '    return await hub.in_account(token_info["account"], campaigns.get_campaign, id_)\n'
WITHOUT_CREATED_BY = (
    '    campaign = await hub.in_account(token_info["account"], campaigns.get_campaign, id_)\n'
    '    return {k: v for k, v in campaign.items() if k != "created_by"}\n'
)


def _contract(copy: Path, *extra: str, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kataven_hub", "contract", "--seed", "3", "--max-examples", "10", "--report-dir",
         str(copy / "reports"), *extra],
        cwd=copy, env={**os.environ, **env(copy), **environ}, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def test_the_previous_contract_catches_a_field_the_new_document_dropped_too(tmp_path: Path) -> None:
    copy = copy_project(tmp_path / "project")
    previous = tmp_path / "previous-openapi.yaml"
    previous.write_text((copy / "openapi.yaml").read_text())
    document = yaml.safe_load((copy / "openapi.yaml").read_text())
    campaign = document["components"]["schemas"]["data.Campaign"]
    campaign["required"] = [name for name in campaign["required"] if name != "created_by"]
    (copy / "openapi.yaml").write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    handlers = copy / "handlers" / "campaigns.py"
    source = handlers.read_text()
    assert source.count(READ) == 1
    handlers.write_text(source.replace(READ, WITHOUT_CREATED_BY))

    broken = _contract(copy, "--base-spec", str(previous))
    assert broken.returncode != 0, broken.stdout[-3000:]
    said = broken.stdout + broken.stderr
    assert "GET /api/v1/campaigns/{id}" in said and '"created_by" is a required property' in said, said[-4000:]
    assert "the previous contract" in broken.stdout

    handlers.write_text(source)
    restored = _contract(copy, "--base-spec", str(previous))
    assert restored.returncode == 0, restored.stdout[-3000:] + restored.stderr[-2000:]


def test_two_runs_with_one_seed_report_the_same_cases(tmp_path: Path) -> None:
    copy = copy_project(tmp_path / "project")
    runs = [_contract(copy) for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[0].stdout[-3000:]
    counts = [re.search(r"(\d+) generated", run.stdout) for run in runs]
    assert counts[0] and counts[1] and counts[0][1] == counts[1][1]
    tables = [run.stdout[run.stdout.index("what every operation answered"):] for run in runs]
    assert tables[0] == tables[1]


def _git(copy: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=copy, check=True,
                   capture_output=True)  # fmt: skip


def test_the_gate_fails_a_branch_that_breaks_clients_until_the_config_allows_it(tmp_path: Path) -> None:
    copy = copy_project(tmp_path / "project")
    _git(copy, "init", "-q", "-b", "main")
    _git(copy, "add", "-A")
    _git(copy, "commit", "-q", "-m", "base")
    _git(copy, "checkout", "-q", "-b", "feature")
    document = yaml.safe_load((copy / "openapi.yaml").read_text())
    campaign = document["components"]["schemas"]["data.Campaign"]
    del campaign["properties"]["created_by"]
    campaign["required"] = [name for name in campaign["required"] if name != "created_by"]
    (copy / "openapi.yaml").write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))

    def gate() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tests.contract.spec_gate", "--seed", "3", "--max-examples", "10"],
            cwd=copy, env={**os.environ, **env(copy)}, capture_output=True, text=True, timeout=900,
        )  # fmt: skip

    refused = gate()
    assert refused.returncode == 1, refused.stdout[-3000:] + refused.stderr[-2000:]
    report = (copy / "reports" / "spec-diff.md").read_text()
    assert "❌ breaks clients" in report and "`response-property-removed`" in report and "getApiV1CampaignsId" in report
    (copy / "hub-diff.toml").write_text(
        '[[rules]]\nrule = "response-property-removed"\noperation = "getApiV1CampaignsId"\nseverity = "info"\n'
        'reason = "created_by leaves the read"\n'
    )
    still = gate()  # one operation allowed; the other answers that hold a campaign still break
    assert still.returncode == 1
    (copy / "hub-diff.toml").write_text(
        '[[rules]]\nrule = "response-property-removed"\nseverity = "info"\n'
    )
    allowed = gate()
    assert allowed.returncode == 0, allowed.stdout[-3000:] + allowed.stderr[-2000:]
    assert "the previous contract" in allowed.stdout  # the document changed: the old contract ran too
