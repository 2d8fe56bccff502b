"""What every benchmark target uses: server processes on 127.0.0.1, the result line, ratios."""

from __future__ import annotations

import os
import resource
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
AGENT = "3f1c2b9e-8d4a-4f6e-9b7a-2c5d8e1f0a34"
NUMBER_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
CORES = sorted(os.sched_getaffinity(0))
SERVER_CORES = CORES[:1] if len(CORES) > 1 else CORES  # for the load targets
CLIENT_CORES = CORES[1:] if len(CORES) > 1 else CORES


@dataclass(kw_only=True)
class Result:
    target: str
    figure: float
    baseline: float
    ratio: float
    goal: str
    passed: bool | None  # None in smoke mode: no thresholds
    unit: str
    detail: str

    def line(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "smoke"}[self.passed]
        return (
            f"{self.target:<18} {self.figure:>10.3f} {self.unit:<6} baseline {self.baseline:>10.3f}"
            f"  ratio {self.ratio:>6.3f}  goal {self.goal:<8} {verdict}  ({self.detail})"
        )


@dataclass
class Config:
    smoke: bool
    rows: int
    repeat: int
    seconds: float
    large: bytes
    small: bytes


@contextmanager
def pinned(cores: list[int]) -> Iterator[None]:
    """This process on `cores` for the block, and back on every core after it, whatever happens:
    the smoke test runs the targets inside pytest, which must not stay on one core."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


# --- servers --------------------------------------------------------------------------------


class DidNotStart(RuntimeError):
    """A server that exited, or gave no HTTP answer within `Server.START_SECONDS`; `reason` in a line."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"server did not start: {reason}")
        self.reason = reason


class Server:
    """A server process on a free port of 127.0.0.1, pinned to `cores`."""

    START_SECONDS = 60.0
    """How long a server has to give its first HTTP answer."""

    def __init__(
        self, command: list[str], env: dict[str, str], cores: list[int], log: Path, open_files: int | None = None
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log = open(log, "w")
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: _confine(cores, open_files),
        )
        deadline = time.monotonic() + self.START_SECONDS
        while True:
            try:
                httpx.get(self.base + "/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise DidNotStart(self._failed()) from None
                time.sleep(0.02)  # fine enough that the wait adds little to a start-up of a second (16b)

    def _failed(self) -> str:
        """Why it did not start, in a line (its exit status and last line of output); it is stopped."""
        exited = self.process.poll()
        if exited is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._log.close()
        lines = [line.strip() for line in self.log.read_text(errors="replace").splitlines() if line.strip()]
        last = f": {lines[-1][:200]}" if lines else ""
        return (f"no HTTP answer within {self.START_SECONDS:g} s" if exited is None else f"exited with {exited}") + last

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self._log.close()

    def pids(self) -> list[int]:
        """The server and its worker processes."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:  # a thread (an idle worker thread of the server) may end between glob and read
                    todo.extend(int(c) for c in (task / "children").read_text().split())
                except (FileNotFoundError, ProcessLookupError):
                    continue
        return found

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server and its workers so far."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def open_files(self) -> list[str]:
        """What the server process's file descriptors point at."""
        found = []
        for fd in Path(f"/proc/{self.process.pid}/fd").iterdir():
            try:
                found.append(os.readlink(fd))
            except OSError:
                continue
        return found

    def rss(self) -> int:
        """Resident bytes of the server and its workers."""
        return sum(status_kib(pid, "VmRSS") * 1024 for pid in self.pids())


@contextmanager
def hub_server(tmp: Path, cores: list[int], **env: str) -> Iterator[tuple[Server, str]]:
    """`hub serve` over a fresh data directory, with a key for account `bench`."""
    data_dir = tmp / f"data-{secrets.token_hex(4)}"
    env = {"HUB_PEPPER": "bench", "HUB_DATA_DIR": str(data_dir), **env}
    minted = subprocess.run(
        [str(BIN / "hub"), "keys", "create", "--account", "bench"], env={**os.environ, **env},
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    subprocess.run(
        [str(BIN / "hub"), "limits", "set", "--account", "bench", "--concurrent-max", "100000"],
        env={**os.environ, **env}, check=True, capture_output=True,
    )  # fmt: skip
    server = Server([str(BIN / "hub"), "serve"], env, cores, tmp / f"{data_dir.name}.log")
    try:
        yield server, minted.stdout.split()[-1]
    finally:
        server.stop()


def _confine(cores: list[int], open_files: int | None) -> None:
    os.sched_setaffinity(0, cores)
    if open_files is not None:  # as `ulimit -n` sets it
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def create(client: httpx.Client, base: str, key: str, csv: bytes) -> str:
    return str(post_contacts(client, base, key, csv, expect=201).json()["id"])


def post_contacts(client: httpx.Client, base: str, key: str, csv: bytes, *, expect: int) -> httpx.Response:
    response = client.post(
        f"{base}/api/v1/campaigns",
        headers={"Authorization": f"Bearer {key}"},
        data={"name": "bench", "agent_id": AGENT, "phone_number_id": NUMBER_ID},
        files={"contacts": ("contacts.csv", csv, "text/csv")},
        timeout=120,
    )
    if response.status_code != expect:
        raise RuntimeError(f"create answered {response.status_code}, not {expect}: {response.text[:200]}")
    return response


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def ratio_result(*, target: str, figure: float, baseline: float, goal: float, higher_is_better: bool,
                  smoke: bool, unit: str, detail: str, errors: int = 0) -> Result:  # fmt: skip
    """The result whose figure over its baseline must reach `goal` (at least, or at most), with
    no error on the way (`errors`: failed requests the figure left out)."""
    ratio = figure / baseline if baseline else float("inf")
    passed = None if smoke else (ratio >= goal if higher_is_better else ratio <= goal) and errors == 0
    sign = "≥" if higher_is_better else "≤"
    return Result(
        target=target, figure=figure, baseline=baseline, ratio=ratio, goal=f"{sign} {goal:g}", passed=passed, unit=unit,
        detail=detail,
    )


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
