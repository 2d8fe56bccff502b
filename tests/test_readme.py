"""The walkthroughs of README.md and of the documentation site's pages (docs/), run as written against a
live server: each block is found by the `<!-- name -->` comment above it, in the page it lives in."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from support import postgres
from support.servers import free_port, hub, serving
from tests.conftest import AGENT, CSV, NUMBER_ID
from tests.project import copy_project
from tests.project import env as project_env

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
WALKTHROUGH = DOCS / "reference" / "campaigns" / "start-to-finish.md"
ADD_OPERATION = DOCS / "guides" / "own-spec" / "adding-an-operation.md"
OWN_SPEC = DOCS / "guides" / "own-spec" / "serving.md"
CONTROL_SURFACE = DOCS / "guides" / "frontend" / "control-surface.md"
REPLICAS = DOCS / "guides" / "replicas.md"
# fail on an HTTP error; a --max-time that runs out (exit 28) is how the walkthrough stops watching
CURL = 'curl() { command curl --fail-with-body "$@" || { rc=$?; [ "$rc" -eq 28 ] || exit "$rc"; }; }\n'


def walkthrough() -> str:
    text = WALKTHROUGH.read_text()
    block = re.search(r"<!-- walkthrough:[^>]*-->\n```sh\n(.*?)```", text, re.S)
    assert block, f"{WALKTHROUGH} has no walkthrough block"
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


def _block(name: str, language: str) -> str:
    block = re.search(rf"<!-- add-operation: {name} -->\n```{language}\n(.*?)```", ADD_OPERATION.read_text(), re.S)
    assert block, f"{ADD_OPERATION} has no add-operation {name} block"
    return block.group(1)


def test_adding_an_operation_works_as_written(tmp_path: Path) -> None:
    copy = copy_project(tmp_path / "project")
    (copy / ".venv").symlink_to(ROOT / ".venv")
    stamp = (ROOT / ".venv" / ".installed").stat().st_mtime
    os.utime(copy / "pyproject.toml", (stamp - 60, stamp - 60))  # make must never reinstall into our venv
    environ = {**os.environ, **project_env(copy), "HUB_PEPPER": "readme"}

    # 1. write it in the spec: the path under `paths:`, the link under the create's 201 `links:`
    spec = copy / "openapi.yaml"
    text = spec.read_text().replace("\npaths:\n", "\npaths:\n" + _block("paths", "yaml"), 1)
    spec.write_text(text.replace("\n          links:\n", "\n          links:\n" + _block("link", "yaml"), 1))

    # 2. served at once, from the spec; then scaffolded
    data_dir = tmp_path / "data"
    key = hub("keys", "create", "--account", "demo", "--data-dir", str(data_dir), env=environ).stdout.split()[-1]
    with serving(data_dir, environ) as (base, log):
        served = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", _block("serve", "sh").replace("http://127.0.0.1:8081", base)],
            cwd=copy, env={**environ, "KEY": key}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert served.returncode == 0, served.stdout + served.stderr
    assert "served from the spec (mock): GET /api/v1/campaigns/{id}/summary" in log.read_text()
    out = served.stdout
    assert re.search(r"(?i)x-hub-mock: stored", out) and '"total": 200' in out and '"status": "draft"' in out
    assert '"Campaign not found"' in out
    assert re.findall(r"getApiV1CampaignsIdSummary +(\S+)", out, re.M) == ["mock", "stub"]
    assert "wrote get_api_v1_campaigns_id_summary into" in out

    # 3. implement it: the page's handler replaces the stub
    module = copy / "handlers" / "campaigns.py"
    source = module.read_text()
    stub_at = source.index("async def get_api_v1_campaigns_id_summary(")
    assert source[stub_at:].rstrip().endswith('return hub.mock("getApiV1CampaignsIdSummary")')
    module.write_text(source[:stub_at] + _block("handler", "python"))

    # 4. check: every operation has a handler, and the contract run sees the new one answer 200
    checked = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", _block("check", "sh")], cwd=copy, env=environ,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-4000:]
    [summary] = re.findall(r"^  GET /api/v1/campaigns/\{id\}/summary +200 400 401 403 404 429 500 +(.*)$", checked.stdout, re.M)
    assert summary.startswith("200×") and "✘" not in summary
    assert "hub routes --check: every one of the 12 operations has a handler" in checked.stdout


def readme_block(name: str, page: Path = README) -> str:
    """The `sh` block under `<!-- name -->` in `page` (README.md unless another is given)."""
    block = re.search(rf"<!-- {name} -->\n```sh\n(.*?)```", page.read_text(), re.S)
    assert block, f"{page} has no {name} block"
    return block.group(1)


def own_spec(directory: Path, port: int) -> str:
    """The "Serving your own spec" page's block, in `directory`, on `port`."""
    return readme_block("own-spec", OWN_SPEC).replace("8082", str(port)).replace('cd "$(mktemp -d)"', f"cd {directory}")


def check_own_spec(done: subprocess.CompletedProcess[str], directory: Path) -> None:
    """What the block shows when it works, down to `hub contract`'s table."""
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    out = done.stdout
    assert '"name": ' in out and '"id": ' in out  # the generated pets: Pet's allOf merged
    assert '{"message": "petId: \'seven\' is not of type \'integer\'"}' in out
    assert "wrote list_pets into" in out and "wrote get_pet into" in out
    assert "stub: GET /pets (list pets)" in done.stderr
    assert re.search(r"(\d+) generated, \1 passed", out), out[-3000:]
    assert re.search(r"^  GET /pets/\{petId\} +200 default +200×\d+", out, re.M), out[-3000:]
    assert "Traceback" not in (directory / "server.log").read_text()
    assert (directory / "handlers" / "default.py").exists()


def test_serving_your_own_spec_works_as_written(tmp_path: Path) -> None:
    """In this checkout, with its `hub` (the install block is tests/test_installed.py's)."""
    script = own_spec(tmp_path, free_port())
    if inherited := os.environ.get("PYTHONPATH"):  # a worktree's package stays after the block's own path
        script = script.replace("export PYTHONPATH=$PWD ", f"export PYTHONPATH=$PWD:{inherited} ", 1)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ['PATH']}"
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=environ)  # fmt: skip
    check_own_spec(done, tmp_path)


def test_the_end_to_end_example_is_the_test_that_runs() -> None:
    block = re.search(r"<!-- e2e-example -->\n```python\n(.*?)```", CONTROL_SURFACE.read_text(), re.S)
    assert block, f"{CONTROL_SURFACE} has no e2e-example block"
    assert block.group(1) in (ROOT / "tests" / "test_e2e_example.py").read_text()


@pytest.mark.pg
def test_the_replicas_recipe_works_as_written(tmp_path: Path, pg_cluster: postgres.Cluster) -> None:
    """From `export HUB_DATABASE_URL` on (installing PostgreSQL and making a role are the
    machine's business), against a fresh database, on three free ports."""
    recipe = readme_block("replicas", REPLICAS)
    recipe = recipe[recipe.index("export HUB_DATABASE_URL"):]
    ports = [free_port() for _ in range(3)]
    script = recipe.replace("postgresql:///hub", pg_cluster.create_database()).replace("8081 8082 8083", " ".join(map(str, ports)))
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    output = tmp_path / "output"
    with open(output, "w") as out:  # the servers keep writing here after the script is done
        started = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, start_new_session=True,
                                   env={"PATH": os.environ["PATH"]}, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        assert started.wait(timeout=60) == 0, output.read_text()
        found = re.search(r"sk_live_acme_[0-9a-f]+", output.read_text())
        assert found, output.read_text()
        key = found.group(0)
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base in bases:
            _wait(base)
        auth = {"Authorization": f"Bearer {key}"}
        form = {"name": "replicated", "agent_id": AGENT, "phone_number_id": NUMBER_ID}
        made = httpx.post(f"{bases[0]}/api/v1/campaigns", headers=auth, data=form,
                          files={"contacts": ("c.csv", CSV, "text/csv")}).json()  # fmt: skip
        for base in bases[1:]:
            assert httpx.get(f"{base}/api/v1/campaigns/{made['id']}", headers=auth).json()["name"] == "replicated"
    finally:
        os.killpg(started.pid, signal.SIGTERM)


def _wait(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"{base}/openapi.json", timeout=1)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"no server at {base}"
            time.sleep(0.2)
