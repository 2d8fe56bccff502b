"""The package as a team installs it, without this checkout: the wheel `make wheel` builds,
installed with its `contract` extra into a new virtualenv as the README's install block says, then
the "Serving your own spec" page's block (docs/guides/own-spec/serving.md) run as written, ending in `hub contract`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.servers import free_port
from tests.test_readme import check_own_spec, own_spec, readme_block

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[1]
WHEEL = "pip wheel --quiet --no-deps . -w dist"
"""What `make wheel` runs (with the system's python3)."""


def test_the_built_wheel_serves_and_checks_your_own_spec(tmp_path: Path) -> None:
    assert WHEEL in (ROOT / "Makefile").read_text()
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", *WHEEL.replace(" dist", f" {dist}").split()], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    install = readme_block("install")
    assert install.startswith("make wheel ")
    install = install.split("\n", 1)[1].replace("$PWD/dist/", f"{dist}/").replace("~/.hub", str(tmp_path / "hub"))
    (tmp_path / "own").mkdir()
    script = install + "command -v hub\n" + own_spec(tmp_path / "own", free_port())
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "PYTHON", "VIRTUAL_ENV"))}
    environ["PATH"] = os.pathsep.join(p for p in environ["PATH"].split(os.pathsep) if Path(p) != Path(sys.executable).parent)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=900, env=environ)  # fmt: skip
    assert f"{tmp_path}/hub/bin/hub\n" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    check_own_spec(done, tmp_path / "own")
