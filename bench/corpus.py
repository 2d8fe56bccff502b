"""Target 16: this server beside Stoplight Prism's mock on the corpus of real documents
(`tests/corpus/`, installed from pinned registry packages), the same Schemathesis run on both, the
same seed. `HUB_BENCH_CORPUS=name,name` measures only those documents; the smoke run, the two smallest.

16a  operations served clean per document: positive cases; no server error, a documented status
     and content type, a body that validates, valid requests accepted (the checks of 12a).
     Goal: this server ≥ Prism on every document, and ≥ 95 % of all operations clean. A document
     on which Prism does not start is shown as `Prism did not start (why)`, none clean under it.
16b  start-up: from the process's start to its first HTTP answer, per document, ours over Prism's;
     ours cold (the document never validated on this machine; a later start, which skips
     validation, is printed beside it). Each server is started STARTS times, the two in turn, and
     its median taken: one start of one or two seconds is at the mercy of a shared machine.
     Goal: ≤ 1 on every document (the figure is the worst ratio).
16c  requests per second of a `GET` whose body is generated from its schema (no example) on a real
     document, the same closed-loop client against each server pinned to the same core.
     Goal: ≥ 1.5× Prism.
"""

from __future__ import annotations

import asyncio
import codecs
import dataclasses
import os
import secrets
import statistics
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import BIN, CLIENT_CORES, SERVER_CORES, Config, DidNotStart, Result, Server, pinned, ratio_result
from bench.peers import CHECKS, CREDENTIALS, get_load, prism_binary
from kataven_hub.errors import ConfigurationError
from kataven_hub.openapi import loader
from tests.corpus.install import Document, documents

STARTS = 3
"""Starts of each server per document in 16b, the two in turn; the figure is each one's median."""
GENERATED_GET = ("airflow2-rest", "/health")
"""(document, path) of 16c: a `GET` with no parameter, answered from a schema with no example."""


def corpus() -> list[Document]:
    """The corpus's documents (3.0 and 3.1), or those HUB_BENCH_CORPUS names."""
    chosen = {name for name in os.environ.get("HUB_BENCH_CORPUS", "").split(",") if name}
    found = documents()
    return [d for d in found if d.name in chosen] if chosen else found


@contextmanager
def started(command: list[str], env: dict[str, str], log: Path) -> Iterator[tuple[Server, float]]:
    """A server and the seconds from its start to its first HTTP answer."""
    began = time.perf_counter()
    server = Server(command, env, SERVER_CORES, log)
    took = time.perf_counter() - began
    try:
        yield server, took
    finally:
        server.stop()


def ours(document: Document, tmp: Path, cache: str = "cache") -> Any:
    """This server on the document, in dev mode (`--lenient` where it is invalid), its cache of
    validated documents `tmp / cache`: the first start on a document with a cache is a cold one."""
    env = {"HUB_PEPPER": "bench", "HUB_DATA_DIR": str(tmp / f"data-{secrets.token_hex(4)}"), "HUB_DEV": "1",
           "HUB_SPEC": str(document.path), "XDG_CACHE_HOME": str(tmp / cache),
           **({} if document.valid else {"HUB_LENIENT": "1"})}  # fmt: skip
    return started([str(BIN / "hub"), "serve"], env, tmp / f"ours-{document.name}.log")


def prism(document: Document, tmp: Path) -> Any:
    return started([str(prism_binary()), "mock", "--host", "127.0.0.1", str(document.path)], {},
                   tmp / f"prism-{document.name}.log")  # fmt: skip


def clean(base: str, document: Document, reports: Path, config: Config) -> tuple[int, int]:
    """(operations with no failed check, operations) of one Schemathesis run, from its JUnit report."""
    reports.mkdir(parents=True, exist_ok=True)
    settings = reports / "schemathesis.toml"
    settings.write_text(_credentials(document.path))
    command = [str(BIN / "schemathesis"), "--config-file", str(settings), "run", str(_readable(document.path, reports)), "--url", base,
               "--mode", "positive", "--checks", CHECKS, "--seed", "1", "--workers", "1",
               "--max-examples", "3" if config.smoke else "10", "--phases", "examples,coverage,fuzzing",
               "--request-timeout", "10", "--report", "junit", "--report-dir", str(reports), "--no-color",
               *_headers(document.path)]  # fmt: skip
    subprocess.run(command, cwd=reports, capture_output=True, text=True)
    reports_found = list(reports.glob("junit*.xml"))
    if not reports_found:
        return 0, document.operations
    cases = list(ET.parse(reports_found[0]).getroot().iter("testcase"))
    outcomes = [not any(child.tag in ("failure", "error") for child in case) for case in cases]
    return sum(outcomes), max(len(outcomes), document.operations)


def _readable(path: Path, reports: Path) -> Path:
    """The document as Schemathesis can read it: a copy without the UTF-8 byte order mark a file
    may start with (Schemathesis refuses such a file: no operation would be called, on either server)."""
    data = path.read_bytes()
    if not data.startswith(codecs.BOM_UTF8):
        return path
    copy = reports / path.name
    copy.write_bytes(data[len(codecs.BOM_UTF8) :])
    return copy


def _schemes(path: Path) -> dict[str, Any]:
    try:
        return (loader.parse(loader.text(path), path.name).get("components") or {}).get("securitySchemes") or {}
    except ConfigurationError:  # a document we cannot read: no credentials, for either server
        return {}


def _headers(path: Path) -> list[str]:
    """12a's credential headers, but no `Authorization: Bearer` where a scheme is `basic`: it would
    replace the basic credential the config gives (Mux's: no operation reached, on either server)."""
    basic = any(str(scheme.get("scheme", "")).lower() == "basic" for scheme in _schemes(path).values())
    pairs = list(zip(CREDENTIALS[::2], CREDENTIALS[1::2], strict=True))
    return [part for flag, header in pairs if not (basic and header.startswith("Authorization:")) for part in (flag, header)]


def _credentials(path: Path) -> str:
    """A Schemathesis config giving each security scheme of the document a credential: an OAuth 2 or
    OpenID Connect one a bearer token (Schemathesis applies none of a requirement naming two schemes
    unless it has both: Visma's Client_Id and OAuth2, whose key it then generates, control characters
    and all, and uvicorn refuses such a request before any app sees it, on 245 operations)."""
    lines = []
    schemes = _schemes(path)
    for name, scheme in schemes.items():
        kind, how = scheme.get("type"), str(scheme.get("scheme", "")).lower()
        value = {"apiKey": 'api_key = "dev"'}.get(kind) or (
            'username = "dev"\npassword = "dev"' if how == "basic"
            else 'bearer = "dev"' if how == "bearer" or kind in ("oauth2", "openIdConnect") else None
        )  # fmt: skip
        if value:
            lines.append(f'[auth.openapi."{name}"]\n{value}\n')
    return "\n".join(lines)


@dataclass(frozen=True)
class Row:
    """One document of 16a and 16b: Prism's figures None where it did not start (`missing` says why)."""

    name: str
    mine: int
    theirs: int | None
    total: int
    our_start: float
    their_start: float | None
    missing: str = ""

    def prism(self, figure: str) -> str:
        return figure if self.theirs is not None else f"Prism did not start ({self.missing})"


def served_clean(config: Config, tmp: Path) -> list[Result]:
    """16a and 16b over the corpus's documents; a document whose Prism does not start is recorded
    so and the run goes on to the next."""
    rows: list[Row] = []
    for document in corpus() if not config.smoke else sorted(corpus(), key=lambda d: d.bytes)[:2]:
        our_start, their_start, missing = start_ups(document, tmp)
        with ours(document, tmp, cache="cold-0") as (server, warm):  # validated by now: the start is a warm one
            mine, total = clean(server.base, document, tmp / f"ours-{document.name}", config)
        row = Row(f"{document.name} ({document.openapi[:3]})", mine, None, total, our_start, None, missing)
        try:
            if their_start is not None:
                with prism(document, tmp) as (server, _start):
                    theirs, _total = clean(server.base, document, tmp / f"prism-{document.name}", config)
                row = dataclasses.replace(row, theirs=theirs, their_start=their_start)
        except DidNotStart as failed:  # it started three times, but not a fourth
            row = dataclasses.replace(row, missing=failed.reason)
        rows.append(row)
        print(f"  16 {document.name}: clean {mine} vs {row.prism(str(row.theirs))} of {total}; start {our_start:.2f} s"
              f" (again {warm:.2f} s) vs {row.prism(f'{row.their_start or 0:.2f} s')}", flush=True)  # fmt: skip
    return [_clean_result(rows, config), _start_result(rows, config)]


def start_ups(document: Document, tmp: Path) -> tuple[float, float | None, str]:
    """16b on one document: (our median cold start, Prism's median start or None, why Prism did
    not start), each server started STARTS times, the two in turn; Prism is not tried again once
    it has not started."""
    mine: list[float] = []
    theirs: list[float] = []
    missing = ""
    for attempt in range(STARTS):
        with ours(document, tmp, cache=f"cold-{attempt}") as (_server, took):
            mine.append(took)
        if missing:
            continue
        try:
            with prism(document, tmp) as (_server, took):
                theirs.append(took)
        except DidNotStart as failed:
            missing = failed.reason
    return statistics.median(mine), statistics.median(theirs) if not missing else None, missing


def _clean_result(rows: list[Row], config: Config) -> Result:
    """16a: a document whose Prism did not start counts as none clean under Prism."""
    mine_all, theirs_all, total_all = sum(r.mine for r in rows), sum(r.theirs or 0 for r in rows), sum(r.total for r in rows)
    return Result(
        target="16a corpus clean", figure=mine_all, baseline=theirs_all, ratio=mine_all / max(theirs_all, 1),
        goal="≥ Prism each, ≥ 95 %", unit="ops",
        passed=None if config.smoke else all(r.mine >= (r.theirs or 0) for r in rows) and mine_all >= 0.95 * total_all,
        detail=f"{mine_all} of {total_all} clean ({100 * mine_all / max(total_all, 1):.1f} %), Prism {theirs_all}; "
        + "; ".join(f"{r.name} {r.mine} vs {r.prism(str(r.theirs))} of {r.total}" for r in rows),
    )  # fmt: skip


def _start_result(rows: list[Row], config: Config) -> Result:
    """16b: the worst ratio over the documents Prism started on."""
    worst = max(((r.our_start / r.their_start, r.name) for r in rows if r.their_start), default=(0.0, ""))
    return Result(
        target="16b corpus start-up", figure=worst[0], baseline=1.0, ratio=worst[0], goal="≤ 1 each", unit="×",
        passed=None if config.smoke else worst[0] <= 1.0,
        detail=f"worst {worst[1]}; " + "; ".join(f"{r.name} {r.our_start:.2f} s/{r.prism(f'{r.their_start or 0:.2f} s')}"
                                                 for r in rows),
    )  # fmt: skip


def generated_rate(config: Config, tmp: Path) -> Result:
    """16c. Requests/s of a GET whose body is generated, ours against Prism's."""
    name, path = GENERATED_GET
    [document] = [d for d in documents() if d.name == name]
    with pinned(CLIENT_CORES):
        with ours(document, tmp) as (server, _start):
            mine, my_errors = asyncio.run(get_load(server.base + path, config.seconds, headers=_HEADERS))
        with prism(document, tmp) as (server, _start):
            theirs, their_errors = asyncio.run(get_load(server.base + path, config.seconds, headers=_HEADERS))
    return ratio_result(
        target="16c generated GET req/s", figure=mine, baseline=theirs, goal=1.5, higher_is_better=True,
        smoke=config.smoke, unit="req/s",
        detail=f"GET {path} of {name}, 16 connections for {config.seconds:g} s each; errors: ours {my_errors},"
               f" Prism {their_errors}",
        errors=my_errors,
    )  # fmt: skip


_HEADERS = {"Authorization": "Bearer dev"}


def beside_prism(config: Config, tmp: Path) -> list[Result]:
    """16a, 16b and 16c."""
    return [*served_clean(config, tmp), generated_rate(config, tmp)]
