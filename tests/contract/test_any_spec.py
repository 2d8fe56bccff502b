"""`hub contract --spec …` on each document of tests/specs/: a live server on that document,
Schemathesis' checks (positive and negative cases) and the per-operation table, no finding."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kataven_hub.control import DOCUMENT
from tests.helpers import CORPUS, SUMMARY, with_paths

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("document", [*CORPUS, DOCUMENT], ids=lambda p: p.stem if p != DOCUMENT else "control")
def test_the_contract_run_passes_on_the_document(tmp_path: Path, document: Path) -> None:
    _passes(tmp_path, document)


def test_the_contract_run_passes_on_ours_with_a_mock_under_an_implemented_read(tmp_path: Path) -> None:
    stdout = _passes(tmp_path, with_paths(tmp_path, SUMMARY))
    assert re.search(r"GET /api/v1/campaigns/\{id\}/summary .*200×\d+ .*404×\d+", stdout), stdout[-3000:]


def _passes(tmp_path: Path, document: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kataven_hub", "contract", "--seed", "1", "--max-examples", "25",
         "--report-dir", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "HUB_SPEC": str(document)}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"(\d+) generated, \1 passed", done.stdout), done.stdout[-2000:]
    assert "what every operation answered" in done.stdout
    return done.stdout
