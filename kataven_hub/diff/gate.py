"""`hub diff`: the changes `diff.compare` finds between two versions of the document, graded by the
repository's own rules (`hub-diff.toml`) and reported as text, Markdown (for a pull-request
comment) or JSON. A version is a file, or a git revision of the document (`origin/main`, read
with `git show`), or `auto`: the merge base of HEAD with the branch it is to be merged into (the
pull request's target where CI names one, else the default branch).

The config file overrides a rule's severity (`error`, `warning`, `info` or `off`), for every
operation or for one; a deliberate break is such a line for one rule and one operation, with its
reason, reviewed like any change:

    [[rules]]
    rule = "response-property-removed"
    operation = "getApiV1CampaignsId"      # an operationId, or "GET /api/v1/campaigns/{id}"
    severity = "info"
    reason = "clients were told in release notes 0.3"

With `--consumers DIR`, an `error` no recorded consumer uses takes `[consumers] unused`'s severity
(`diff.consumers`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kataven_hub.diff.compare import Change
from kataven_hub.diff.rules import ERROR, INFO, RULES, WARNING
from kataven_hub.errors import ConfigurationError

SEVERITIES = (ERROR, WARNING, INFO, "off")
CONFIG = "hub-diff.toml"
DEFAULT_BRANCHES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")
CI_TARGETS = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
"""Where CI names a pull request's target branch: GitHub Actions, GitLab CI."""


@dataclasses.dataclass(frozen=True)
class Override:
    rule: str
    severity: str
    operation: str | None = None
    reason: str = ""

    def applies(self, change: Change) -> bool:
        return self.rule == change.rule and self.operation in (None, change.operation, change.label)


@dataclasses.dataclass(frozen=True)
class Graded:
    change: Change
    severity: str
    reason: str = ""
    """The config line's reason, where one changed the severity."""
    use: str = ""
    """Who uses what the change breaks, with `--consumers` (`diff.consumers`): `used by web (GET
    /pets/7: answer 200 field name = "Rex")`, or `unused by consumers: web`."""


def load_config(path: Path) -> list[Override]:
    """The overrides of `path` (none if it does not exist); ConfigurationError names a bad line."""
    if not path.exists():
        return []
    try:
        entries = tomllib.loads(path.read_text()).get("rules", [])
    except tomllib.TOMLDecodeError as err:
        raise ConfigurationError(f"{path}: {err}") from None
    found = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: rules entry {number}"
        if entry.get("rule") not in RULES:
            raise ConfigurationError(f"{where}: unknown rule {entry.get('rule')!r} (`hub diff --rules` lists them)")
        if entry.get("severity") not in SEVERITIES:
            raise ConfigurationError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        if entry.get("operation") is not None and not entry.get("reason"):
            raise ConfigurationError(f"{where}: a line for one operation says why (reason = \"...\")")
        found.append(Override(entry["rule"], entry["severity"], entry.get("operation"), entry.get("reason", "")))
    return found


def grade(changes: list[Change], overrides: list[Override]) -> list[Graded]:
    """Each change with its severity: the most specific override's (one operation before all),
    else the rule's default; `off` leaves it out."""
    graded = []
    for change in changes:
        chosen = next((o for o in overrides if o.operation is not None and o.applies(change)), None)
        chosen = chosen or next((o for o in overrides if o.operation is None and o.applies(change)), None)
        severity = chosen.severity if chosen else change.default_severity
        if severity != "off":
            graded.append(Graded(change, severity, chosen.reason if chosen else ""))
    return ordered(graded)


def ordered(graded: list[Graded]) -> list[Graded]:
    """Errors first, then warnings, then infos; by operation, place and rule within each."""
    order = {s: n for n, s in enumerate(SEVERITIES)}
    return sorted(graded, key=lambda g: (order[g.severity], g.change.label, g.change.where, g.change.rule))


def read_version(version: str, document: Path) -> tuple[str, str]:
    """(text, name) of one version of `document`: a file, or a git revision of it."""
    if Path(version).is_file():
        return Path(version).read_text(), version
    if version == "auto":
        version = merge_base(document.resolve().parent)
    root = _git("rev-parse", "--show-toplevel", cwd=document.parent).strip()
    inside = document.resolve().relative_to(Path(root).resolve())
    return _git("show", f"{version}:{inside.as_posix()}", cwd=Path(root)), f"{version}:{inside.as_posix()}"


def merge_base(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The commit where HEAD left the branch it is to be merged into: the pull request's target
    where CI names one (CI_TARGETS), else the default branch (the first of DEFAULT_BRANCHES there is)."""
    target = next((v for v in map((os.environ if environ is None else environ).get, CI_TARGETS) if v), None)
    branches = (f"origin/{target}", target) if target else DEFAULT_BRANCHES
    for branch in branches:
        try:
            _git("rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}", cwd=cwd)
        except ConfigurationError:
            continue
        return _git("merge-base", "HEAD", branch, cwd=cwd).strip()
    which = f"no branch {target} (the pull request's target: fetch it)" if target else "no default branch"
    raise ConfigurationError(f"{which} to compare with (tried {', '.join(branches)})")


def _git(*args: str, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigurationError(f"git {' '.join(args)}: {err}") from None
    if done.returncode != 0:
        raise ConfigurationError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout


def verdict(graded: list[Graded]) -> str:
    return "breaking" if any(g.severity == ERROR for g in graded) else "clean"


def as_text(graded: list[Graded], base: str, revision: str) -> str:
    lines = [f"hub diff {base} -> {revision}: {_summary(graded)}"]
    for g in graded:
        c = g.change
        allowed = f" (allowed: {g.reason})" if g.reason else ""
        use = f" [{g.use}]" if g.use else ""
        lines.append(f"{g.severity:<7} {c.rule:<36} {c.label} ({c.operation}) {c.where or '/'}: {c.message}{allowed}{use}")
    return "\n".join(lines) + "\n"


def as_markdown(graded: list[Graded], base: str, revision: str) -> str:
    head = "❌ breaks clients" if verdict(graded) == "breaking" else "✅ no breaking change"
    lines = [f"### `hub diff`: {head}", "", f"`{base}` → `{revision}`: {_summary(graded)}", ""]
    if graded:
        lines += ["| severity | rule | operation | where | change |", "|---|---|---|---|---|"]
        for g in graded:
            c = g.change
            note = (f" — allowed: {g.reason}" if g.reason else "") + (f" — {g.use}".replace("|", "\\|") if g.use else "")
            lines.append(f"| {g.severity} | `{c.rule}` | `{c.label}` ({c.operation}) | `{c.where or '/'}` | {c.message}{note} |")
        lines += ["", "A deliberate break is allowed by a reviewed line in `hub-diff.toml` naming the rule and the operation."]
    return "\n".join(lines) + "\n"


def as_json(graded: list[Graded], base: str, revision: str) -> str:
    counts = {s: sum(g.severity == s for g in graded) for s in SEVERITIES[:3]}
    report: dict[str, Any] = {
        "base": base, "revision": revision, "result": verdict(graded), "counts": counts,
        "changes": [{**dataclasses.asdict(g.change), "severity": g.severity, "allowed": g.reason or None,
                     "consumers": g.use or None} for g in graded],
    }  # fmt: skip
    return json.dumps(report, indent=2) + "\n"


def failure_markdown(base: str, revision: str, error: str) -> str:
    """The report of a comparison that could not be made: never to be read as a clean one."""
    return f"### `hub diff`: ⚠️ the comparison failed\n\n`{base}` → `{revision}`: {error}\n"


def _summary(graded: list[Graded]) -> str:
    counts = [f"{sum(g.severity == s for g in graded)} {s}(s)" for s in SEVERITIES[:3]]
    return f"{verdict(graded)}: {', '.join(counts)}"
