"""`hub contract`: the whole contract run, checked over real HTTP against a live server.

1. The Schemathesis CLI, every check on, a fixed seed and a JUnit report; its stateful phase
   explores the document's links at random. On a terminal it shows its progress; in CI (no
   terminal, or CI set) it prints plain lines.
2. The lifecycle walk along our campaigns' links (`walk`), where the document serves them.
3. The table (`report`): for each operation, the codes it documents and every code it answered.
   The run fails if an implemented operation never answered its success code, naming it.

Without `--url` it starts `hub serve` on the document with a fresh data directory and a key of its
own (`server`). `--base-spec` (a file, or a git revision of the document) checks the *previous*
contract against that server: positive cases only, every check, and the walk; the table is
printed, but a success code the short run did not reach is no failure there.

The same document and the same `--seed` give the same run: Schemathesis' example database is off,
and our server's dispatcher is off. Exit 0 = no finding, 1 = a finding, 2 = the run itself broke.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kataven_hub.contract import report, server, walk
from kataven_hub.contract.auth import credentials, in_dev_mode
from kataven_hub.errors import ConfigurationError

INSTALL = "pip install 'kataven-hub[contract]'"


@dataclass(frozen=True)
class Options:
    """What `hub contract` was asked for."""

    spec: Path
    url: str | None = None
    token: str | None = None
    account: str | None = None
    seed: int = 20261127
    max_examples: int = 100
    report_dir: Path = Path("reports")
    base_spec: str | None = None
    database: str = "sqlite"
    mount: str = ""
    """Where the document is served, on our server or --url's (several documents in one server)."""
    served: str = ""
    """What our server serves (HUB_SPEC: the document, or it and others under their prefixes)."""
    dev: bool | None = None
    """Whether our server runs in dev mode (None: unless the document is ours)."""


def run(options: Options) -> int:
    if importlib.util.find_spec("schemathesis") is None:
        raise ConfigurationError(f"hub contract runs Schemathesis, which is not installed: {INSTALL}")
    with tempfile.TemporaryDirectory(prefix="hub-contract-") as tmp:
        record = Path(tmp) / "answers.jsonl"
        document = _previous(options.base_spec, options.spec, Path(tmp)) if options.base_spec else options.spec
        if options.url:
            target = server.remote(options.url.rstrip("/") + options.mount, options.token, options.account)
        else:
            dev = not walk.ours(options.spec) if options.dev is None else options.dev
            target = server.ours(Path(tmp), options.served or str(options.spec), dev=dev, database=options.database,
                                 mount=options.mount)  # fmt: skip
        with target as there:
            env = {**there.env, "HUB_CONTRACT_RECORD": str(record)}
            code = schemathesis(there, options, env, document)
            code = walk.walk_lifecycle(there.base, there.token, there.account, record, document) or code
        if options.base_spec:  # what the old document promised is checked; which codes a short run reached is not
            report.report(record, implemented=None, document=document)
            return code
        served = None if options.url else report.implemented(options.spec)
        return report.report(record, implemented=served, document=document) or code


def _previous(version: str, spec: Path, tmp: Path) -> Path:
    """The previous document (a file, or a git revision of the document) written to `tmp`."""
    from kataven_hub.diff.gate import read_version

    try:
        text, name = read_version(version, spec)
    except ConfigurationError as err:
        raise ConfigurationError(f"hub contract: --base-spec {version}: {err}") from None
    path = tmp / "previous-openapi.yaml"
    path.write_text(text)
    print(f"hub contract: the previous contract, {name}, against the server of the working tree", flush=True)
    return path


def schemathesis(there: server.Target, options: Options, env: dict[str, str], document: Path) -> int:
    """The Schemathesis CLI's run, with the package's configuration and hooks."""
    options.report_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(report.CONFIG),
        *([] if _terminal() else ["--no-color"]),
        "run", str(document),
        "--url", there.base,
        *[word for header in credentials(there.token, document) for word in ("--header", header)],
        *(["--header", f"X-Account-ID: {there.account}"] if there.remote else []),
        "--checks", "all",
        *_stateless_mocks(there, options.spec),
        "--seed", str(options.seed),
        "--generation-database", "none",
        *(["--mode", "positive"] if options.base_spec else []),
        "--max-examples", str(options.max_examples),
        "--workers", "1",
        "--report", "junit",
        "--report-dir", str(options.report_dir),
    ]  # fmt: skip
    sys.stdout.flush()
    return subprocess.run(command, env={**os.environ, **env}).returncode


def _terminal() -> bool:
    """A person watching (progress bars, colour), rather than CI's log (plain lines)."""
    return sys.stdout.isatty() and not os.environ.get("CI") and not os.environ.get("NO_COLOR")


def _stateless_mocks(there: server.Target, spec: Path) -> list[str]:
    """Schemathesis' `use_after_free` asks a deleted resource to be gone: a DELETE served by a mock
    that does not remember keeps nothing, so where one is (or, on another server, for a document
    not ours), that check is left out, and said; likewise `ignored_auth` on another document served
    in dev mode, here or at --url, where any credential is taken (any other server, a FastAPI
    application's say, is asked to refuse a wrong one)."""
    excluded = []
    if (not walk.ours(spec)) if there.remote else _mocked(spec):
        print("hub contract: a DELETE served by a mock that keeps nothing: use_after_free is not checked")
        excluded.append("use_after_free")
    if not walk.ours(spec) and (not there.remote or in_dev_mode(there.base)):
        print("hub contract: in dev mode any credential the document asks for is taken: ignored_auth is not checked")
        excluded.append("ignored_auth")
    return ["--exclude-checks", ",".join(excluded)] if excluded else []


def _mocked(spec: Path) -> bool:
    """Whether a DELETE is served by a mock that does not remember (mock.remember)."""
    from kataven_hub import openapi
    from kataven_hub.mock.remember import roles
    from kataven_hub.openapi import routing

    mocked = [r.operation for r in routing.routes(openapi.operations(openapi.load(spec))) if r.served_by == routing.MOCK]
    kept = roles(mocked)
    return any(op.method == "delete" and op.operation_id not in kept for op in mocked)
