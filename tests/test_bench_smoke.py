"""The benchmark harness on tiny inputs, without thresholds, so that it cannot rot. The figures
themselves come from `make bench`, never from the test suite."""

import json
from pathlib import Path

import pytest

from bench.run import main

pytestmark = [pytest.mark.bench, pytest.mark.pg]


NEAR_ZERO = ("7 ", "15a dispatch, 3 replicas over 2")
"""Figures that may be 0 on the smoke run's inputs: an idle server may use no CPU; three replicas
over two cores share the smoke run's 20 accounts for 3 s and settle 0–2 calls a second (the same
at 663f2b4, before this change: 0 and 0.33 in two runs). The full run holds them to their goals."""


def test_the_benchmark_suite_runs_end_to_end(tmp_path: Path) -> None:
    assert main(["--smoke", "--out", str(tmp_path)]) == 0
    [report] = tmp_path.glob("bench-*-smoke.json")
    results = json.loads(report.read_text())["results"]
    targets = [r["target"].split()[0] for r in results]
    assert targets == ["1", "2a", "2b", "3", "3b", "4", "5", "6", "7", "8", "9a", "9b", "9c", "10a", "10b", "11", "12a", "12b", "13a", "13b", "13c", "14",
                       "15a", "15a", "15b", "15c", "15d", "15e", "15f", "15g", "15g", "15g", "15g", "15h", "15h",
                       "16a", "16b", "16c"]
    for result in results:
        assert result["baseline"] > 0 and result["passed"] is None, result
        assert result["figure"] > 0 or result["target"].startswith(NEAR_ZERO), result
    details = {r["target"].split()[0]: r["detail"] for r in results}
    assert "status 413" in details["5"]
    assert "answered 200" in details["8"] and "answered 201" in details["11"]
