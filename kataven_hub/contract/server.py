"""The server `hub contract` checks: another one (`--url`, `--token`), or our own `hub serve` on a
fresh data directory and a key of its own, started here and stopped at the end (its log must hold
no traceback). `--database postgres` serves from a fresh PostgreSQL database instead."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kataven_hub.errors import ConfigurationError

ACCOUNT = "contract"


@dataclass(frozen=True)
class Target:
    """Where the run sends its requests, with what credential, and the environment its hooks read."""

    base: str
    token: str
    account: str
    remote: bool
    env: dict[str, str] = field(default_factory=dict)


@contextmanager
def remote(url: str, token: str | None, account: str | None) -> Iterator[Target]:
    if not token:
        raise ConfigurationError("hub contract: --url needs --token (an API key or a JWT; a JWT also --account)")
    account = account or ACCOUNT
    yield Target(url.rstrip("/"), token, account, True, {"HUB_CONTRACT_ACCOUNT": account})


@contextmanager
def ours(tmp: Path, spec: str, *, dev: bool, database: str, mount: str = "") -> Iterator[Target]:
    """`hub serve` on `spec` (HUB_SPEC: a document, or several under their prefixes, the one checked
    at `mount`): dev mode for a document not ours, no dispatcher (a started campaign stays as it is
    while the run looks at it), every answer checked against the document."""
    data_dir = tmp / "data"
    env = {"HUB_PEPPER": secrets.token_hex(16), "HUB_VALIDATE_RESPONSES": "1", "HUB_CONTRACT_ACCOUNT": ACCOUNT,
           "HUB_SPEC": spec, "HUB_DEV": "1" if dev else "", "HUB_DISPATCH": "0"}  # fmt: skip
    with ExitStack() as stack:
        if database == "postgres":
            env["HUB_DATABASE_URL"] = stack.enter_context(_postgres())
            print(f"hub contract: on PostgreSQL ({env['HUB_DATABASE_URL']})", flush=True)
        elif database != "sqlite":
            raise ConfigurationError(f"hub contract: --database {database!r}: sqlite (the default) or postgres")
        key = _hub("keys", "create", "--account", ACCOUNT, "--data-dir", str(data_dir), env=env).split()[-1]
        # room for every generated campaign to start, so that the stateful phase reaches pause and resume
        _hub("limits", "set", "--account", ACCOUNT, "--concurrent-max", "1000000",
             "--calls-per-minute", "1000000", "--data-dir", str(data_dir), env=env)  # fmt: skip
        with _serving(data_dir, env, mount) as (base, log):
            yield Target(base + mount, key, ACCOUNT, False, env)
        if "Traceback" in log.read_text():
            raise ConfigurationError(f"hub contract: the server logged a traceback:\n{log.read_text()[-4000:]}")


@contextmanager
def _postgres() -> Iterator[str]:
    """A fresh database on a throwaway PostgreSQL (the checkout's `support.postgres`; its
    HUB_TEST_DATABASE_URL names a server of yours instead)."""
    try:
        from support import postgres  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ConfigurationError(
            "hub contract: --database postgres starts a throwaway PostgreSQL with this project's checkout"
            " (support/ on PYTHONPATH); elsewhere, check a server of yours with --url"
        ) from None
    with postgres.server() as cluster:
        yield str(cluster.create_database())


def _hub(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "kataven_hub", *args], env={**os.environ, **env},
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise ConfigurationError(f"hub contract: `hub {args[0]} {args[1]}` failed: {done.stderr.strip()[-500:]}")
    return done.stdout


@contextmanager
def _serving(data_dir: Path, env: dict[str, str], mount: str) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    log = data_dir.parent / f"server-{port}.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "kataven_hub", "serve", "--port", str(port), "--data-dir", str(data_dir)],
            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(f"{base}{mount}/openapi.json", server, log)
            yield base, log
        finally:
            server.terminate()
            server.wait(timeout=20)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ConfigurationError(f"hub contract: the server exited with {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise ConfigurationError(f"hub contract: the server was not up after {seconds}s:\n{log.read_text()[-4000:]}")
