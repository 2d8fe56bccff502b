"""`hub diff --consumers DIR`: a break a recorded consumer uses stays an `error` naming it and its
example request, one no consumer uses is reported as unused (a `warning`, or the config's): on a
corpus of edits to a small foreign document (tests/consumergate/), and on our own document with the
console's committed contract (consumers/console.json)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from kataven_hub import openapi
from kataven_hub.app import create_app
from kataven_hub.consumers.imports import check_folder
from kataven_hub.diff.compare import compare
from kataven_hub.diff.consumers import by_use, read_contracts, unused_severity
from kataven_hub.diff.gate import grade, load_config
from kataven_hub.errors import ConfigurationError
from tests.conftest import make_settings
from tests.helpers import CONSUMERS, ROOT, merge_patch

CORPUS = Path(__file__).parent / "consumergate"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text())
TEMPLATE = yaml.safe_load((Path(__file__).parent / "specdiff" / "template.yaml").read_text())


def _write(path: Path, *patches: Any) -> Path:
    found = TEMPLATE
    for patch in patches:
        found = merge_patch(found, patch or {})
    path.write_text(yaml.safe_dump(found, sort_keys=False))
    return path


def _use(use: str) -> str:
    if not use:
        return "-"
    if use.startswith("unused by consumers: "):
        assert use == "unused by consumers: admin, web"
        return "unused"
    return "used:" + ",".join(sorted(re.findall(r"(?:by |; )(\w+) \(", use)))


def test_the_corpus_contracts_hold_against_the_template(tmp_path: Path) -> None:
    document = openapi.load(_write(tmp_path / "t.yaml"))
    breaks, checked = check_folder(CORPUS / "consumers", document, openapi.operations(document))
    assert breaks == [] and checked == 4


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_edit_is_graded_by_use(tmp_path: Path, case: dict[str, Any]) -> None:
    base = openapi.operations(openapi.load(_write(tmp_path / "base.yaml", case.get("base"))))
    revision = openapi.operations(openapi.load(_write(tmp_path / "revision.yaml", case.get("base"), case["revision"])))
    (tmp_path / "hub-diff.toml").write_text(case.get("config", ""))
    graded = grade(compare(base, revision), load_config(tmp_path / "hub-diff.toml"))
    graded = by_use(graded, read_contracts(CORPUS / "consumers"), unused_severity(tmp_path / "hub-diff.toml"))
    found = sorted(f"{g.severity} {g.change.rule} {g.change.operation} {_use(g.use)}" for g in graded)
    assert found == sorted(case["expect"])


def _hub_diff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "hub"), "diff", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def _without(tmp_path: Path, schema: str, field: str) -> Path:
    """A copy of openapi.yaml whose `schema` no longer has `field`."""
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    found = document["components"]["schemas"][schema]
    del found["properties"][field]
    found["required"] = [name for name in found.get("required", []) if name != field]
    path = tmp_path / f"without-{field}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_removing_a_field_the_console_reads_fails_the_gate_naming_it(tmp_path: Path) -> None:
    console = json.loads((CONSUMERS / "console.json").read_text())
    read = console["operations"]["GET /api/v1/campaigns/{id}/contacts"]["answers"]["200"]
    assert "contacts[].attempts" in read  # what this test removes: the console shows it
    revision = _without(tmp_path, "Contact", "attempts")
    gated = _hub_diff("openapi.yaml", str(revision), "--consumers", "consumers/", "--report", str(tmp_path / "d.md"))
    assert gated.returncode == 1, gated.stdout + gated.stderr
    line = next(line for line in gated.stdout.splitlines() if line.startswith("error"))
    assert "response-property-removed" in line and "GET /api/v1/campaigns/{id}/contacts" in line
    assert re.search(r"used by console \(GET /api/v1/campaigns/[^/]+/contacts: answer 200 field contacts\[\]\.attempts = ", line)
    assert "used by console" in (tmp_path / "d.md").read_text()
    without = _hub_diff("openapi.yaml", str(revision))
    assert without.returncode == 1 and "used by" not in without.stdout  # without --consumers: as ever


def test_removing_a_field_the_console_does_not_read_is_reported_unused(tmp_path: Path) -> None:
    console = json.loads((CONSUMERS / "console.json").read_text())
    assert not any(name.endswith("/call-limits") for name in console["operations"])
    revision = _without(tmp_path, "CallLimits", "daily_minutes_max")
    gated = _hub_diff("openapi.yaml", str(revision), "--consumers", "consumers/", "--format", "json")
    assert gated.returncode == 0, gated.stdout + gated.stderr
    report = json.loads(gated.stdout)
    removed = [c for c in report["changes"] if c["rule"] == "response-property-removed"]
    assert removed and all(c["severity"] == "warning" and c["consumers"] == "unused by consumers: console" for c in removed)
    assert report["result"] == "clean" and report["counts"]["error"] == 0
    assert _hub_diff("openapi.yaml", str(revision)).returncode == 1  # the same edit, ungraded by use, is an error


def test_a_bad_consumers_folder_or_unused_severity_is_exit_2(tmp_path: Path) -> None:
    assert _hub_diff("openapi.yaml", "openapi.yaml", "--consumers", str(tmp_path / "none")).returncode == 2
    (tmp_path / "hub-diff.toml").write_text('[consumers]\nunused = "off"\n')
    with pytest.raises(ConfigurationError, match="never dropped"):
        unused_severity(tmp_path / "hub-diff.toml")
    bad = _hub_diff("openapi.yaml", "openapi.yaml", "--consumers", "consumers/", "--config", str(tmp_path / "hub-diff.toml"))
    assert bad.returncode == 2 and "never dropped" in bad.stderr


def test_the_consumer_header_passes_cors_and_validation(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path / "data", dev=True))) as client:
        preflight = client.options("/api/v1/campaigns", headers={
            "Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,x-hub-consumer",
        })  # fmt: skip
        assert preflight.status_code == 200
        assert "x-hub-consumer" in preflight.headers["access-control-allow-headers"].lower()
        listed = client.get("/api/v1/campaigns", headers={"X-Hub-Consumer": "console", "Origin": "http://localhost:5173"})
        assert listed.status_code == 401  # refused for its missing key, as without the header: not a 400
    assert "X-Hub-Consumer" in (ROOT / "openapi.yaml").read_text()


def test_the_spec_gate_grades_by_the_committed_consumers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kataven_hub.diff import gate
    from tests.contract import spec_gate

    ran: list[list[str]] = []
    monkeypatch.setattr(gate, "merge_base", lambda cwd=None: "base-commit")
    monkeypatch.setattr(gate, "read_version", lambda version, document: (document.read_text(), version))
    monkeypatch.setattr(spec_gate.subprocess, "run", lambda args, **kw: ran.append(args) or subprocess.CompletedProcess(args, 0))
    monkeypatch.setattr(sys, "argv", ["spec_gate", "--report-dir", str(tmp_path)])
    assert spec_gate.main() == 0
    assert ran[0][ran[0].index("--consumers") + 1] == str(CONSUMERS)
