"""The README's walkthrough, run as written against a live server."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.servers import hub, serving

README = Path(__file__).resolve().parents[1] / "README.md"
# fail on an HTTP error; a --max-time that runs out (exit 28) is how the walkthrough stops watching
CURL = 'curl() { command curl --fail-with-body "$@" || { rc=$?; [ "$rc" -eq 28 ] || exit "$rc"; }; }\n'


def walkthrough() -> str:
    text = README.read_text()
    block = re.search(r"<!-- walkthrough:[^>]*-->\n```sh\n(.*?)```", text, re.S)
    assert block, "the README has no walkthrough block"
    return block.group(1)


def test_the_walkthrough_works_as_written(tmp_path: Path) -> None:
    env = {"HUB_PEPPER": "readme"}
    data_dir = tmp_path / "data"
    key = hub("keys", "create", "--account", "demo", "--data-dir", str(data_dir), env=env).stdout.split()[-1]
    with serving(data_dir, env, "--sim-time-scale", "60") as (base, _log):
        script = CURL + walkthrough().replace("http://127.0.0.1:8081", base)
        done = subprocess.run(
            ["bash", "-uo", "pipefail", "-c", script], cwd=tmp_path, env={"KEY": key, "PATH": os.environ["PATH"]},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    order = ['"status": "running"', "data: {", '"status": "paused"', '"status": "running"', '"contacts": [', '"status": "completed"']
    position = 0
    for marker in order:
        position = out.index(marker, position) + 1
    assert '"status": "skipped"' in out
