"""The benchmark harness on tiny inputs, without thresholds, so that it cannot rot. The figures
themselves come from `make bench`, never from the test suite."""

import json
from pathlib import Path

from bench.run import main


def test_the_benchmark_suite_runs_end_to_end(tmp_path: Path) -> None:
    assert main(["--smoke", "--out", str(tmp_path)]) == 0
    [report] = tmp_path.glob("bench-*-smoke.json")
    results = json.loads(report.read_text())["results"]
    assert [r["target"].split()[0] for r in results] == ["1", "2a", "2b", "3", "4", "5", "6"]
    for result in results:
        assert result["figure"] > 0 and result["baseline"] > 0 and result["passed"] is None, result
    assert "status 413" in results[-2]["detail"]
