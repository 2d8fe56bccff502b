"""`hub scaffold` on documents no one here wrote (tests/specs/), in a copy of the project whose
handlers package is empty: the modules it writes pass ruff and mypy, `hub routes --check` lists
every operation as a stub, a second run changes no byte, and the scaffolded server answers what
the mock answered (where the mock does not remember: a stub answers from the spec)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from support.servers import BIN, serving
from tests.helpers import CORPUS
from tests.project import copy_project, env

pytestmark = pytest.mark.live

CREDENTIALS = {"Authorization": "Basic " + base64.b64encode(b"dev:dev").decode(), "X-API-Key": "dev"}


def run(copy: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=copy, env={**os.environ, **env(copy)}, capture_output=True, text=True,
        check=check,
    )  # fmt: skip


def served(copy: Path) -> list[str]:
    """`hub routes`'s lines of the operations served (the webhooks and callbacks sent follow them)."""
    return run(copy, "hub", "routes").stdout.split("\n\n")[0].splitlines()


def answers(base: str, paths: list[str]) -> dict[str, tuple[int, bytes]]:
    with httpx.Client(base_url=base, headers=CREDENTIALS) as client:
        return {path: (r.status_code, r.content) for path in paths for r in [client.get(path)]}


@pytest.mark.parametrize("document", CORPUS, ids=lambda p: p.stem)
def test_scaffold_writes_modules_that_lint_type_check_and_answer_as_the_mock(tmp_path: Path, document: Path) -> None:
    copy = copy_project(tmp_path / "project")
    for module in (copy / "handlers").glob("*.py"):
        if module.name != "__init__.py":
            module.unlink()
    shutil.copy(document, copy / "openapi.yaml")
    plain = [line.split()[1] for line in served(copy)
             if line.startswith("GET ") and "{" not in line and "remembered" not in line]  # fmt: skip
    # a remembered operation answers what the account stored; its stub answers from the spec
    environment = {**env(copy), "HUB_DEV": "1"}
    with serving(copy / "data", environment) as (base, _log):
        mocked = answers(base, plain)

    wrote = run(copy, "hub", "scaffold").stdout
    assert wrote.count("wrote ") == len(served(copy)), wrote
    written = {path: path.read_text() for path in (copy / "handlers").glob("*.py")}
    assert run(copy, "hub", "scaffold").stdout.startswith("nothing to scaffold")
    assert written == {path: path.read_text() for path in (copy / "handlers").glob("*.py")}
    linted = run(copy, "ruff", "check", "handlers", check=False)
    assert linted.returncode == 0, linted.stdout
    typed = run(copy, "mypy", "handlers", check=False)
    assert typed.returncode == 0, typed.stdout
    checked = run(copy, "hub", "routes", "--check", check=False)
    assert checked.returncode == 1
    problems = checked.stderr.strip().splitlines()[:-1]
    assert problems and all(line.startswith("stub: ") for line in problems), checked.stderr

    with serving(copy / "data", environment) as (base, _log):
        assert answers(base, plain) == mocked
