"""Target 12: this server beside Stoplight Prism's mock, on the documents of tests/specs/ (documents
no one here wrote the server for). Prism (`@stoplight/prism-cli`, pinned) is installed from npm
into `.bench-tools/` on first use.

12a  operations served clean: the same Schemathesis run (positive cases; no server error, documented
     status and content type, a body that validates, valid requests accepted) against each server;
     an operation is clean when no check failed on it. Goal: this server ≥ Prism on every document.
12b  requests per second on an example-backed operation, the same closed-loop client against each
     server pinned to the same core. Goal: ≥ 1.5× Prism.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from bench.harness import (
    BIN,
    CLIENT_CORES,
    ROOT,
    SERVER_CORES,
    Config,
    Result,
    Server,
    hub_server,
    pinned,
    ratio_result,
)

PRISM = "@stoplight/prism-cli@5.16.0"
TOOLS = ROOT / ".bench-tools" / "prism"
CORPUS = sorted((ROOT / "tests" / "specs").glob("*.yaml"))
EXAMPLE_BACKED = (ROOT / "tests" / "specs" / "examples.yaml", "/greeting")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,positive_data_acceptance"  # noqa: E501
CREDENTIALS = ["--header", "Authorization: Bearer dev", "--header", "X-API-Key: dev"]


def prism_binary() -> Path:
    """Prism's command, installed from npm the first time (about 75 MB, 15 s)."""
    binary = TOOLS / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("target 12 needs npm (Node.js) to install Stoplight Prism: apt-get install -y npm")
        TOOLS.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(TOOLS), PRISM],
                       check=True, capture_output=True)  # fmt: skip
    return binary


@contextmanager
def prism_server(document: Path, tmp: Path, cores: list[int]) -> Iterator[Server]:
    server = Server([str(prism_binary()), "mock", "--host", "127.0.0.1", str(document)], {}, cores,
                    tmp / f"prism-{document.stem}.log")  # fmt: skip
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def our_server(document: Path, tmp: Path, cores: list[int], *, dev: bool) -> Iterator[Server]:
    with hub_server(tmp, cores, HUB_SPEC=str(document), **({"HUB_DEV": "1"} if dev else {})) as (server, _key):
        yield server


def served_clean(config: Config, tmp: Path) -> Result:
    """12a. Operations with no failed check, this server's and Prism's, over the whole corpus."""
    counts = []
    for document in CORPUS:
        with our_server(document, tmp, SERVER_CORES, dev=True) as server:
            ours, total = _clean(server.base, document, tmp / f"ours-{document.stem}", config)
        with prism_server(document, tmp, SERVER_CORES) as server:
            theirs, _total = _clean(server.base, document, tmp / f"prism-{document.stem}", config)
        counts.append((document.stem, ours, theirs, total))
    ours_all, theirs_all = sum(c[1] for c in counts), sum(c[2] for c in counts)
    passed = None if config.smoke else all(o >= t for _name, o, t, _n in counts)
    detail = "; ".join(f"{name} {o} vs {t} of {n}" for name, o, t, n in counts)
    return Result(
        target="12a served clean", figure=ours_all, baseline=theirs_all, ratio=ours_all / max(theirs_all, 1),
        goal="≥ Prism each", passed=passed, unit="ops", detail=f"operations clean, ours vs Prism: {detail}",
    )  # fmt: skip


def _clean(base: str, document: Path, reports: Path, config: Config) -> tuple[int, int]:
    """(operations with no failed check, operations) of one Schemathesis run, from its JUnit report."""
    reports.mkdir(parents=True, exist_ok=True)
    command = [str(BIN / "schemathesis"), "run", str(document), "--url", base, "--mode", "positive",
               "--checks", CHECKS, "--seed", "1", "--max-examples", "5" if config.smoke else "50", "--workers", "1",
               "--phases", "examples,coverage,fuzzing", "--report", "junit", "--report-dir", str(reports),
               "--no-color", *CREDENTIALS]  # fmt: skip
    subprocess.run(command, cwd=reports, capture_output=True, text=True)  # no schemathesis.toml of ours here
    [report] = reports.glob("junit*.xml")
    cases = ET.parse(report).getroot().iter("testcase")
    outcomes = [not any(child.tag in ("failure", "error") for child in case) for case in cases]
    return sum(outcomes), len(outcomes)


def example_rate(config: Config, tmp: Path) -> Result:
    """12b. Requests/s of an example-backed GET, ours against Prism's, same client, same core."""
    document, path = EXAMPLE_BACKED
    with pinned(CLIENT_CORES):
        with our_server(document, tmp, SERVER_CORES, dev=False) as server:
            ours, our_errors = asyncio.run(get_load(server.base + path, config.seconds))
        with prism_server(document, tmp, SERVER_CORES) as server:
            theirs, their_errors = asyncio.run(get_load(server.base + path, config.seconds))
    return ratio_result(
        target="12b example req/s", figure=ours, baseline=theirs, goal=1.5, higher_is_better=True,
        smoke=config.smoke, unit="req/s",
        detail=f"GET {path} of {document.name}, 16 connections for {config.seconds:g} s each; errors: ours"
               f" {our_errors}, Prism {their_errors}",
        errors=our_errors,
    )  # fmt: skip


async def get_load(url: str, seconds: float, connections: int = 16, headers: dict[str, str] | None = None
                   ) -> tuple[float, int]:  # fmt: skip
    """Requests/s and errors of closed-loop keep-alive GETs on `connections` sockets, after a
    one-second warm-up. Plain HTTP/1.1 over asyncio streams: httpx tops out near 400 requests/s
    on one core, below what either server answers, and would measure itself."""
    parts = urlsplit(url)
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    request = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode()
    done, errors, counting = 0, 0, False

    async def connection(until: float) -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < until:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])  # type: ignore[index]
                await reader.readexactly(length)
                if counting:
                    ok = head.startswith(b"HTTP/1.1 200 ")
                    done, errors = done + ok, errors + (not ok)
        finally:
            writer.close()

    await asyncio.gather(*(connection(time.perf_counter() + 1.0) for _ in range(connections)))
    counting = True
    started = time.perf_counter()
    await asyncio.gather(*(connection(started + seconds) for _ in range(connections)))
    return done / (time.perf_counter() - started), errors


def beside_prism(config: Config, tmp: Path) -> list[Result]:
    """12a and 12b."""
    return [served_clean(config, tmp), example_rate(config, tmp)]
