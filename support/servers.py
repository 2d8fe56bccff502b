"""Real server processes for live tests: `hub serve` on a free port of 127.0.0.1."""

from __future__ import annotations

import os
import resource
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


ALLOWED = True
"""Whether `serving` may start a server: the test suite allows it only in tests marked `live`, so
that `make unit` never starts one."""

PROCESSES: dict[str, subprocess.Popen[bytes]] = {}
"""The server process behind each base URL that `serving` yields, while it serves."""


@contextmanager
def serving(
    data_dir: Path, env: dict[str, str], *flags: str, open_files: int | None = None, up: str = "/openapi.json"
) -> Iterator[tuple[str, Path]]:
    """`hub serve` until the block ends; yields its base URL and the file its output goes to.
    `open_files` is its limit of open files, as `ulimit -n` would set it; `up` the page that
    answers once it serves (several documents: one of theirs)."""
    if not ALLOWED:
        raise RuntimeError("this test starts a server: mark it @pytest.mark.live")
    port = free_port()
    log = data_dir.parent / f"server-{port}.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(BIN / "hub"), "serve", "--port", str(port), "--data-dir", str(data_dir), *flags],
            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=None if open_files is None else lambda: _limit_open_files(open_files),
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        PROCESSES[base] = server
        try:
            wait_until_up(base + up, server, log)
            yield base, log
        finally:
            del PROCESSES[base]
            server.terminate()
            server.wait(timeout=20)


def _limit_open_files(count: int) -> None:
    """The soft limit, as `ulimit -Sn` sets it; the hard one stays, so that a test can raise it
    again while the server runs (`resource.prlimit`), as an operator would lift the fault."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard if hard == resource.RLIM_INFINITY else max(count, hard)))


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
