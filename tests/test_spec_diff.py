"""`hub diff`: the corpus of document pairs (tests/specdiff/) and what each must report, the
repository's config (severities, allowed breaks), the exit codes and the reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kataven_hub import openapi
from kataven_hub.diff.compare import compare
from kataven_hub.diff.gate import Override, grade, merge_base
from kataven_hub.diff.rules import RULES
from kataven_hub.errors import ConfigurationError
from tests.helpers import merge_patch as patched

CORPUS = Path(__file__).parent / "specdiff"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text())
TEMPLATE = yaml.safe_load((CORPUS / "template.yaml").read_text())
JSON_BODY = "/content/application~1json/schema"
SHORT = {"$req": "/requestBody" + JSON_BODY, "$201": "/responses/201" + JSON_BODY, "$200": "/responses/200" + JSON_BODY,
         "$items": "/responses/200" + JSON_BODY + "/items"}  # fmt: skip
THING = [("createThing", "$201"), ("getThing", "$200"), ("listThings", "$items")]


def document(tmp_path: Path, name: str, *patches: dict[str, Any] | None) -> Path:
    """The template with the patches applied in turn, written to `tmp_path`."""
    found = TEMPLATE
    for patch in patches:
        found = patched(found, patch or {})
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(found, sort_keys=False))
    return path


def listed(patches: dict[str, Any] | list[dict[str, Any]] | None) -> list[dict[str, Any] | None]:
    """A case's `base` or `revision`: one patch, or a list of them applied in turn (`*to31` first)."""
    return patches if isinstance(patches, list) else [patches]


def expected(lines: list[str]) -> list[tuple[str, str, str]]:
    found = []
    for line in lines:
        rule, operation, *where = line.split()
        at = where[0] if where else ""
        for short, long in SHORT.items():
            at = at.replace(short, long)
        if operation == "Thing*":
            found += [(rule, op, SHORT[short] + at) for op, short in THING]
        else:
            found.append((rule, operation, at))
    return sorted(found)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_pair_reports_its_changes(tmp_path: Path, case: dict[str, Any]) -> None:
    bases = listed(case.get("base"))
    base = openapi.operations(openapi.load(document(tmp_path, "base", *bases)))
    revision = openapi.operations(openapi.load(document(tmp_path, "revision", *bases, *listed(case.get("revision")))))
    changes = compare(base, revision)
    assert sorted((c.rule, c.operation, c.where) for c in changes) == expected(case["expect"])
    assert all(c.rule in RULES and c.message for c in changes)


def test_every_rule_is_in_the_corpus() -> None:
    covered = {line.split()[0] for case in CASES for line in case["expect"]}
    assert covered == set(RULES)


def test_the_config_sets_severities_per_rule_and_per_operation(tmp_path: Path) -> None:
    base = openapi.operations(openapi.load(document(tmp_path, "base", None)))
    revision = openapi.operations(openapi.load(document(tmp_path, "rev", {"components": {"schemas": {"Thing": {"properties": {"size": None}}}}})))
    changes = compare(base, revision)
    graded = grade(changes, [Override("response-property-removed", "info", "getThing", "v2 clients read no size"),
                             Override("response-property-removed", "warning")])  # fmt: skip
    severities = {g.change.operation: (g.severity, g.reason) for g in graded}
    assert severities == {"getThing": ("info", "v2 clients read no size"), "createThing": ("warning", ""),
                          "listThings": ("warning", "")}  # fmt: skip
    assert grade(changes, [Override("response-property-removed", "off")]) == []


def _hub_diff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "hub"), "diff", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_exit_codes_reports_and_an_allowed_break(tmp_path: Path) -> None:
    base = document(tmp_path, "base", None)
    broken = document(tmp_path, "broken", {"components": {"schemas": {"Thing": {"properties": {"size": None}}}}})
    clean = _hub_diff(str(base), str(base), cwd=tmp_path)
    assert clean.returncode == 0 and "clean: 0 error(s)" in clean.stdout
    breaking = _hub_diff(str(base), str(broken), "--format", "json", "--report", "reports/diff.md", cwd=tmp_path)
    assert breaking.returncode == 1
    report = json.loads(breaking.stdout)
    assert report["result"] == "breaking" and report["counts"]["error"] == 3
    assert "❌ breaks clients" in (tmp_path / "reports" / "diff.md").read_text()
    (tmp_path / "hub-diff.toml").write_text(
        "[[rules]]\nrule = \"response-property-removed\"\nseverity = \"info\"\nreason = \"size was never filled\"\n"
    )
    allowed = _hub_diff(str(base), str(broken), "--config", "hub-diff.toml", cwd=tmp_path)
    assert allowed.returncode == 0 and "(allowed: size was never filled)" in allowed.stdout
    unreadable = _hub_diff("no-such-revision", str(base), "--report", "reports/failed.md", cwd=tmp_path)
    assert unreadable.returncode == 2 and "hub:" in unreadable.stderr
    assert "the comparison failed" in (tmp_path / "reports" / "failed.md").read_text()
    (tmp_path / "invalid.yaml").write_text("openapi: 3.0.3\ninfo: {}\npaths: {}\n")
    assert _hub_diff(str(base), str(tmp_path / "invalid.yaml"), cwd=tmp_path).returncode == 2
    (tmp_path / "bad.toml").write_text('[[rules]]\nrule = "no-such-rule"\nseverity = "info"\n')
    assert _hub_diff(str(base), str(base), "--config", "bad.toml", cwd=tmp_path).returncode == 2


def test_auto_compares_with_the_target_branch_ci_names(tmp_path: Path) -> None:
    """`auto` is the merge base with the pull request's target where CI names it, else with the
    default branch: here a feature branch off develop, itself off main."""
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    document(tmp_path, "openapi", None)
    for command in (["init", "--quiet", "-b", "main"], ["add", "openapi.yaml"], ["commit", "--quiet", "-m", "v1"],
                    ["checkout", "--quiet", "-b", "develop"], ["commit", "--quiet", "--allow-empty", "-m", "v2"],
                    ["checkout", "--quiet", "-b", "feature"], ["commit", "--quiet", "--allow-empty", "-m", "v3"]):  # fmt: skip
        subprocess.run([*git, *command], cwd=tmp_path, check=True)
    main, develop = (subprocess.run(["git", "rev-parse", b], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
                     for b in ("main", "develop"))  # fmt: skip
    assert merge_base(tmp_path, {}) == main
    assert merge_base(tmp_path, {"GITHUB_BASE_REF": ""}) == main  # GitHub sets it empty outside pull requests
    assert merge_base(tmp_path, {"GITHUB_BASE_REF": "develop"}) == develop
    assert merge_base(tmp_path, {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "develop"}) == develop
    with pytest.raises(ConfigurationError, match=r"^no branch release \(the pull request's target: fetch it\)"):
        merge_base(tmp_path, {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "release"})
