"""Real server processes for live tests: `hub serve` on a free port of 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hub(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the `hub` command to completion."""
    return subprocess.run(
        [str(BIN / "hub"), *args], env={**os.environ, **env}, check=True, capture_output=True,
        text=True, **kwargs,  # type: ignore[call-overload]
    )  # fmt: skip


@contextmanager
def serving(data_dir: Path, env: dict[str, str], *flags: str) -> Iterator[tuple[str, Path]]:
    """`hub serve` until the block ends; yields its base URL and the file its output goes to."""
    port = free_port()
    log = data_dir.parent / f"server-{port}.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(BIN / "hub"), "serve", "--port", str(port), "--data-dir", str(data_dir), *flags],
            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/openapi.json", server, log)
            yield base, log
        finally:
            server.terminate()
            server.wait(timeout=20)


def wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server not up after {seconds}s:\n{log.read_text()}")
