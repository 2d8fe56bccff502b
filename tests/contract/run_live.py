"""`make contract-test`: Schemathesis against a live uvicorn server, over real HTTP.

Starts `hub serve` on a free port with a fresh data directory, mints a key with the CLI, runs
the Schemathesis CLI with every check on, a fixed seed and a JUnit report, stops the server and
exits with Schemathesis's code (0 = no finding).
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.servers import BIN, hub, serving

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "contract"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports")
    parser.add_argument("--max-examples", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hub-contract-") as tmp:
        data_dir = Path(tmp) / "data"
        env = {
            "HUB_PEPPER": secrets.token_hex(16),
            "HUB_VALIDATE_RESPONSES": "1",
            "HUB_CONTRACT_ACCOUNT": ACCOUNT,
        }
        out = hub("keys", "create", "--account", ACCOUNT, "--data-dir", str(data_dir), env=env)
        key = out.stdout.strip().splitlines()[-1]
        # room for every generated campaign to start, so the stateful phase reaches pause/resume
        hub("limits", "set", "--account", ACCOUNT, "--concurrent-max", "1000000",
            "--calls-per-minute", "1000000", "--data-dir", str(data_dir), env=env)  # fmt: skip
        with serving(data_dir, env, "--sim-time-scale", "600") as (base, log):
            code = run_schemathesis(base, key, args, env)
        if "Traceback" in log.read_text():
            print(f"the server logged a traceback:\n{log.read_text()}", file=sys.stderr)
            code = code or 1
        return code


def run_schemathesis(base: str, key: str, args: argparse.Namespace, env: dict[str, str]) -> int:
    args.report_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(BIN / "schemathesis"), "run", str(ROOT / "openapi.yaml"),
        "--url", base,
        "--header", f"Authorization: Bearer {key}",
        "--checks", "all",
        "--seed", str(args.seed),
        "--max-examples", str(args.max_examples),
        "--workers", "1",
        "--report", "junit",
        "--report-dir", str(args.report_dir),
        "--no-color",
    ]  # fmt: skip
    environ = {**os.environ, **env, "PYTHONPATH": str(ROOT)}  # PYTHONPATH: for the hooks module
    return subprocess.run(command, env=environ, cwd=ROOT).returncode


if __name__ == "__main__":
    raise SystemExit(main())
