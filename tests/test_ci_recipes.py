"""The CI recipes of examples/ci/ run as written: each `run` step of the GitHub Actions workflow and
each job's script of the GitLab CI file, with bash, in a clone of a git repository made here (a main
branch holding a foreign document, a pull-request branch editing it) and the environment the CI sets.

CI plumbing is left out by one rule: a step that `uses:` an action (checkout, setup-python, the
artifact upload), and a command that begins with `pip install` (the test runs the project's venv
instead) or `gh ` (GitHub's API). What each recipe leaves behind is checked, so a wrong command fails.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / "examples" / "ci" / "github" / "spec.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"
DOCUMENT = ROOT / "tests" / "specs" / "petstore-expanded.yaml"
PLUMBING = ("pip install", "gh ")
AFTER_A_FAILURE = ("${{ !cancelled() }}", "${{ always() }}")
"""The conditions of a GitHub step that runs after a failed one (`if:`); the test knows no other."""
EDITS = {  # NewPet gains an optional field (4 infos), or its `tag` becomes required (an error)
    "additive": ("        tag:\n          type: string\n    Error:",
                 "        tag:\n          type: string\n        age:\n          type: integer\n    Error:"),
    "breaking": ("      required:\n        - name\n      properties:",
                 "      required:\n        - name\n        - tag\n      properties:"),
}  # fmt: skip
CLEAN, BREAKING = "### `hub diff`: ✅ no breaking change", "### `hub diff`: ❌ breaks clients"


@dataclass(frozen=True)
class Ran:
    command: str
    returncode: int
    output: str


@pytest.mark.parametrize("edit", EDITS)
def test_the_github_workflow_runs_on_a_pull_request(tmp_path: Path, edit: str) -> None:
    workflow = yaml.safe_load(GITHUB.read_text())
    assert "pull_request" in workflow[True]  # `on:`, which YAML 1.1 reads as true
    (job,) = workflow["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    assert _uses(steps, "actions/checkout@")["with"]["fetch-depth"] == 0  # what the clone below stands for
    repo = _clone(_origin(tmp_path, edit), tmp_path / "workspace")
    subprocess.run(["git", "checkout", "--quiet", "--detach", "origin/feature"], cwd=repo, check=True)
    summary = tmp_path / "step-summary.md"
    summary.touch()
    env = _environment({**workflow.get("env", {}), **job.get("env", {})}, GITHUB_ACTIONS="true",
                       GITHUB_EVENT_NAME="pull_request", GITHUB_BASE_REF="main", GITHUB_HEAD_REF="feature",
                       GITHUB_STEP_SUMMARY=str(summary), GITHUB_WORKSPACE=str(repo))  # fmt: skip
    ran: list[Ran] = []
    for step in steps:
        if "uses" in step or step["run"].startswith(PLUMBING):
            continue
        assert step.get("if") in (None, *AFTER_A_FAILURE), f"a condition the test cannot evaluate: {step['if']}"
        if step.get("if") is None and any(r.returncode for r in ran):
            continue
        ran.append(_bash(step["run"], repo, {**env, **step.get("env", {})}))
    diff, contract = _one(ran, "hub diff auto "), _one(ran, "hub contract ")
    _check_outcome(edit, diff, contract, failed=any(r.returncode for r in ran), report=summary.read_text())
    assert "kataven-hub[contract]" in _one_step(steps, "pip install")["run"]
    comment = shlex.split(_one_step(steps, "gh ")["run"])
    assert (repo / comment[comment.index("--body-file") + 1]).read_text() == summary.read_text()
    uploaded = repo / _uses(steps, "actions/upload-artifact@")["with"]["path"]
    assert (uploaded / "spec-diff.md").read_text() == summary.read_text()
    _check_junit(list(uploaded.glob("junit-*.xml")), contract)


@pytest.mark.parametrize("edit", EDITS)
def test_the_gitlab_jobs_run_on_a_merge_request(tmp_path: Path, edit: str) -> None:
    config = yaml.safe_load(GITLAB.read_text())
    jobs = {name: _extended(config, job) for name, job in config.items() if not name.startswith(".")
            and isinstance(job, dict) and "script" in _extended(config, job)}  # fmt: skip
    origin = _origin(tmp_path, edit)
    ran: dict[str, tuple[Path, Ran]] = {}
    for name, job in jobs.items():
        assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in job["rules"]
        assert any("kataven-hub[contract]" in line for line in job["before_script"] if line.startswith("pip install"))
        repo = _gitlab_clone(origin, tmp_path / name)
        env = _environment({**config.get("variables", {}), **job.get("variables", {})}, GITLAB_CI="true",
                           CI_PIPELINE_SOURCE="merge_request_event", CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
                           CI_MERGE_REQUEST_SOURCE_BRANCH_NAME="feature", CI_MERGE_REQUEST_IID="1", CI_PROJECT_ID="1",
                           CI_PROJECT_DIR=str(repo), CI_API_V4_URL="https://gitlab.invalid/api/v4")  # fmt: skip
        lines = [line for line in [*job.get("before_script", []), *job["script"]] if not line.startswith(PLUMBING)]
        ran[name] = repo, _bash("\n".join(lines), repo, env)
        after = _bash("\n".join(job.get("after_script", [])), repo, {**env, "CI_JOB_STATUS": "success"})
        assert after.returncode == 0, after.output[-2000:]
        for path in job["artifacts"]["paths"]:
            assert (repo / path).exists(), f"{name}: artifact {path} not written"
    (diff_repo, diff), = [(repo, r) for repo, r in ran.values() if "hub diff auto " in r.command]  # fmt: skip
    (contract_repo, contract), = [(repo, r) for repo, r in ran.values() if "hub contract " in r.command]  # fmt: skip
    assert jobs[_name(ran, diff)]["variables"]["GIT_DEPTH"] == "0"  # what the full clone stands for
    _check_outcome(edit, diff, contract, failed=diff.returncode != 0, report=(diff_repo / "reports" / "spec-diff.md").read_text())
    _check_junit(list(contract_repo.glob(jobs[_name(ran, contract)]["artifacts"]["reports"]["junit"])), contract)


def _check_outcome(edit: str, diff: Ran, contract: Ran, *, failed: bool, report: str) -> None:
    """A clean edit passes; a breaking one fails `hub diff auto` (exit 1) and the job; the contract runs both times."""
    assert contract.returncode == 0, contract.output[-4000:]
    if edit == "additive":
        assert diff.returncode == 0 and not failed, diff.output[-3000:]
        assert report.startswith(CLEAN) and "`request-property-added`" in report, report
    else:
        assert diff.returncode == 1 and failed, diff.output[-3000:]
        assert report.startswith(BREAKING) and "| error | `request-property-made-required` | `POST /pets`" in report, report
    assert "→ `openapi.yaml`: " in report  # the merge base's document against the branch's


def _check_junit(found: list[Path], contract: Ran) -> None:
    assert len(found) == 1, f"one JUnit report expected, found {found}: {contract.output[-2000:]}"
    suites = ET.parse(found[0]).getroot()
    assert suites.tag == "testsuites" and int(suites.get("tests", "0")) > 0 and suites.get("failures") == "0"


def _origin(tmp_path: Path, edit: str) -> Path:
    """A bare repository: main holds the document, feature edits it."""
    author = tmp_path / "author"
    author.mkdir()
    before, after = EDITS[edit]
    text = DOCUMENT.read_text()
    assert before in text
    git = ["git", "-c", "user.name=Recipe Test", "-c", "user.email=recipes@example.com"]
    (author / "openapi.yaml").write_text(text)
    for command in (["init", "--quiet", "-b", "main"], ["add", "-A"], ["commit", "--quiet", "-m", "the API"],
                    ["checkout", "--quiet", "-b", "feature"]):  # fmt: skip
        subprocess.run([*git, *command], cwd=author, check=True)
    (author / "openapi.yaml").write_text(text.replace(before, after))
    subprocess.run([*git, "commit", "--quiet", "-am", f"an {edit} edit"], cwd=author, check=True)
    subprocess.run(["git", "clone", "--quiet", "--bare", str(author), str(tmp_path / "origin.git")], check=True)
    return tmp_path / "origin.git"


def _clone(origin: Path, where: Path) -> Path:
    """actions/checkout with `fetch-depth: 0`: the whole history, every branch as origin/*."""
    subprocess.run(["git", "clone", "--quiet", str(origin), str(where)], check=True)
    return where


def _gitlab_clone(origin: Path, where: Path) -> Path:
    """A merge request pipeline's checkout: the merge request's head alone, detached (the target
    branch is not fetched: the job fetches it)."""
    where.mkdir()
    for command in (["init", "--quiet"], ["remote", "add", "origin", str(origin)],
                    ["fetch", "--quiet", "origin", "+refs/heads/feature:refs/pipelines/1"],
                    ["checkout", "--quiet", "--detach", "refs/pipelines/1"]):  # fmt: skip
        subprocess.run(["git", *command], cwd=where, check=True)
    return where


def _environment(recipe: dict[str, Any], **ci: str) -> dict[str, str]:
    """This machine's environment without its CI's or hub's variables, the project's venv first on
    PATH (for the skipped install), then the recipe's variables and the CI's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "GITHUB_", "GITLAB_", "CI_", "RUNNER_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return {**env, "CI": "true", **{k: str(v) for k, v in recipe.items()}, **ci}


def _bash(command: str, cwd: Path, env: dict[str, str]) -> Ran:
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)  # fmt: skip
    return Ran(command, done.returncode, done.stdout)


def _one(ran: list[Ran], start: str) -> Ran:
    (found,) = [r for r in ran if r.command.startswith(start)]
    return found


def _one_step(steps: list[dict[str, Any]], start: str) -> dict[str, Any]:
    (found,) = [s for s in steps if s.get("run", "").startswith(start)]
    return found


def _uses(steps: list[dict[str, Any]], action: str) -> dict[str, Any]:
    (found,) = [s for s in steps if s.get("uses", "").startswith(action)]
    return found


def _extended(config: dict[str, Any], job: Any) -> Any:
    """A GitLab job with its `extends:` merged under it (hashes deep-merged, as GitLab does)."""
    if not isinstance(job, dict) or "extends" not in job:
        return job
    return _merged(_extended(config, config[job["extends"]]), {k: v for k, v in job.items() if k != "extends"})


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    both = {**base, **over}
    return {k: _merged(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
            for k, v in both.items()}  # fmt: skip


def _name(ran: dict[str, tuple[Path, Ran]], which: Ran) -> str:
    (name,) = [n for n, (_repo, r) in ran.items() if r is which]
    return name
