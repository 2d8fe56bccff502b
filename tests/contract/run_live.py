"""`make contract-test`: Schemathesis against a live uvicorn server, over real HTTP.

Starts `hub serve` on a free port with a fresh data directory, mints a key with the CLI, runs
the Schemathesis CLI with every check on, a fixed seed and a JUnit report, stops the server and
exits with Schemathesis's code (0 = no finding).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ACCOUNT = "contract"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports")
    parser.add_argument("--max-examples", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hub-contract-") as data_dir:
        env = {
            **os.environ,
            "HUB_DATA_DIR": data_dir,
            "HUB_PEPPER": secrets.token_hex(16),
            "HUB_VALIDATE_RESPONSES": "1",
            "HUB_CONTRACT_ACCOUNT": ACCOUNT,
            "PYTHONPATH": str(ROOT),
        }
        key = mint_key(env)
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "hub"), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(data_dir) / "server.log", "w"),
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/openapi.json", server)
            return run_schemathesis(base, key, args, env)
        finally:
            server.terminate()
            server.wait(timeout=20)
            log = (Path(data_dir) / "server.log").read_text()
            if "Traceback" in log:
                print("server log has a traceback:\n" + log, file=sys.stderr)


def mint_key(env: dict[str, str]) -> str:
    out = subprocess.run(
        [str(BIN / "hub"), "keys", "create", "--account", ACCOUNT, "--name", "contract-test"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode} before it was up")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server not up after {seconds}s")


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
    return subprocess.run(command, env=env, cwd=ROOT).returncode


if __name__ == "__main__":
    raise SystemExit(main())
