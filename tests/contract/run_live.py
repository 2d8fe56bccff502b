"""`make contract-test`: the contract checked over real HTTP against a live server.

1. The Schemathesis CLI, every check on, a fixed seed and a JUnit report; its stateful phase
   explores the spec's links at random.
2. The lifecycle walk: one campaign along the spec's links, create → start → pause → resume →
   stop, and from every answer each link to a read (GET); then a second one, create → delete.
   Each answer is checked by Schemathesis; this walk does not depend on the random one's luck.
3. The table: for each operation, the codes it documents and every code it answered. The run
   fails if an implemented operation never answered its success code, naming it.

Without BASE_URL it starts `hub serve` on a free port with a fresh data directory and a key of its
own, and stops it at the end; `DATABASE=postgres` (`make contract-test DATABASE=postgres`) serves
from a fresh PostgreSQL database instead of the SQLite files. With `BASE_URL=... TOKEN=...` (and `ACCOUNT=...` for a JWT) it
checks that server instead and starts nothing. TOKEN goes as a bearer token and as each API key
the document reads from a header (tests.contract.auth). `HUB_SPEC` (`make contract-test SPEC=...`) names
another document: the server then runs in dev mode, where the credentials a document asks for are
enough; the lifecycle walk is this project's and runs where the campaign operations are served.

`HUB_BASE_SPEC` (`make contract-test BASE_SPEC=origin/main`, or a file) checks the *previous*
contract against the server built from the working tree: that document's operations, positive
cases only, every check, and the walk along its links. A failure names the old operation and the
answer that no longer holds (a field the old document required, a request it accepted); the table
is printed, but a success code the short run did not reach is no failure there.

The same commit and the same `--seed` give the same run: Schemathesis' example database is off
(no case replayed from an earlier run: the seed alone reproduces a failure), and the server's
dispatcher is off (no campaign moves on its own while the run looks at it; the dispatcher has its
own tests). Exit 0 = no finding.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import subprocess
import sys
import tempfile
import tomllib
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from support import postgres
from support.servers import BIN, hub, serving
from tests.contract.auth import credentials, in_dev_mode

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(os.environ.get("HUB_SPEC") or ROOT / "openapi.yaml")
ACCOUNT = "contract"
LIFECYCLE = ["StartCampaign", "PauseCampaign", "ResumeCampaign", "StopCampaign"]
"""The links the walk follows from the create's answer, each from the answer before."""
FROM_A_DRAFT = ["DeleteCampaign"]
"""Links the walk follows from a second create's answer, at the end."""


def main() -> int:
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports")
    parser.add_argument("--max-examples", type=int, default=100)
    args = parser.parse_args()
    remote = os.environ.get("BASE_URL")
    with tempfile.TemporaryDirectory(prefix="hub-contract-") as tmp:
        record = Path(tmp) / "answers.jsonl"
        previous = os.environ.get("HUB_BASE_SPEC")
        document = _previous(previous, Path(tmp)) if previous else SPEC
        with _server(Path(tmp), remote) as (base, token, account, env):
            env = {**env, "HUB_CONTRACT_RECORD": str(record)}
            code = run_schemathesis(base, token, account if remote else None, args, env, document, positive=bool(previous))
            code = walk_lifecycle(base, token, account, record, document) or code
        if previous:  # what the old document promised is checked; which codes a short run reached is not
            report(record, implemented=None, document=document)
            return code
        return report(record, implemented=None if remote else _implemented(), document=document) or code


def _previous(version: str, tmp: Path) -> Path:
    """The previous document (a file, or a git revision of openapi.yaml) written to `tmp`."""
    from kataven_hub.diff.gate import read_version
    from kataven_hub.errors import ConfigurationError

    try:
        text, name = read_version(version, SPEC)
    except ConfigurationError as err:
        raise SystemExit(f"contract-test: BASE_SPEC={version}: {err}") from None
    path = tmp / "previous-openapi.yaml"
    path.write_text(text)
    print(f"contract-test: the previous contract, {name}, against the server of the working tree")
    return path


@contextmanager
def _server(tmp: Path, remote: str | None) -> Iterator[tuple[str, str, str, dict[str, str]]]:
    """The server to check: BASE_URL's, or our own started here (its log must hold no traceback)."""
    if remote:
        token = os.environ.get("TOKEN", "")
        if not token:
            raise SystemExit("contract-test: BASE_URL needs TOKEN (an API key or a JWT; a JWT also ACCOUNT)")
        account = os.environ.get("ACCOUNT", ACCOUNT)
        yield remote.rstrip("/"), token, account, {"HUB_CONTRACT_ACCOUNT": account}
        return
    with ExitStack() as stack:
        yield stack.enter_context(_our_server(tmp, stack))


@contextmanager
def _our_server(tmp: Path, stack: ExitStack) -> Iterator[tuple[str, str, str, dict[str, str]]]:
    """`hub serve` on a fresh data directory, or on a fresh PostgreSQL database with DATABASE=postgres
    (`support.postgres` starts a throwaway server, or HUB_TEST_DATABASE_URL names one)."""
    data_dir = tmp / "data"
    env = {"HUB_PEPPER": secrets.token_hex(16), "HUB_VALIDATE_RESPONSES": "1", "HUB_CONTRACT_ACCOUNT": ACCOUNT,
           "HUB_SPEC": str(SPEC), "PYTHONPATH": str(ROOT), "HUB_DEV": "" if _ours() else "1",
           "HUB_DISPATCH": "0"}  # fmt: skip
    database = os.environ.get("DATABASE", "sqlite")
    if database == "postgres":
        env["HUB_DATABASE_URL"] = stack.enter_context(postgres.server()).create_database()
        print(f"contract-test: on PostgreSQL ({env['HUB_DATABASE_URL']})", flush=True)
    elif database != "sqlite":
        raise SystemExit(f"contract-test: DATABASE={database!r}: sqlite (the default) or postgres")
    key = hub("keys", "create", "--account", ACCOUNT, "--data-dir", str(data_dir), env=env).stdout.split()[-1]
    # room for every generated campaign to start, so that the stateful phase reaches pause and resume
    hub("limits", "set", "--account", ACCOUNT, "--concurrent-max", "1000000",
        "--calls-per-minute", "1000000", "--data-dir", str(data_dir), env=env)  # fmt: skip
    with serving(data_dir, env) as (base, log):  # no dispatcher: a started campaign stays running
        yield base, key, ACCOUNT, env
    if "Traceback" in log.read_text():
        raise SystemExit(f"the server logged a traceback:\n{log.read_text()}")


def run_schemathesis(base: str, token: str, account: str | None, args: argparse.Namespace, env: dict[str, str],
                     document: Path, *, positive: bool = False) -> int:  # fmt: skip
    args.report_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(BIN / "schemathesis"), "run", str(document),
        "--url", base,
        *[word for header in credentials(token, document) for word in ("--header", header)],
        *(["--header", f"X-Account-ID: {account}"] if account else []),
        "--checks", "all",
        *_stateless_mocks(),
        "--seed", str(args.seed),
        "--generation-database", "none",
        *(["--mode", "positive"] if positive else []),
        "--max-examples", str(args.max_examples),
        "--workers", "1",
        "--report", "junit",
        "--report-dir", str(args.report_dir),
        "--no-color",
    ]  # fmt: skip
    environ = {**os.environ, **env, "PYTHONPATH": str(ROOT)}  # PYTHONPATH: for the hooks module
    return subprocess.run(command, env=environ, cwd=ROOT).returncode


def walk_lifecycle(base: str, token: str, account: str, record: Path, document: Path = SPEC) -> int:
    """Create a campaign, then follow LIFECYCLE's links; from every answer, also every link to a
    read (GET) that Schemathesis runs. Every answer must be a 2xx that passes every check."""
    import schemathesis
    from schemathesis.transport.serialization import Binary

    from tests.contract.hooks import CONTACTS_CSV, after_call

    if not _ours(document):
        print("\nlifecycle walk: not this document's (it serves no campaigns); the stateful phase follows its links")
        return 0

    schema = schemathesis.openapi.from_path(document)
    raw = schema.raw_schema
    by_id = {op["operationId"]: (path, method) for path, item in raw["paths"].items()
             for method, op in item.items() if isinstance(op, dict) and "operationId" in op}  # fmt: skip
    skipped = _disabled_operations()
    headers = {"Authorization": f"Bearer {token}", "X-Account-ID": account}
    os.environ["HUB_CONTRACT_RECORD"] = str(record)

    def call(operation_id: str, **request: Any) -> tuple[Any, dict[str, Any]]:
        path, method = by_id[operation_id]
        case = schema[path][method.upper()].Case(**request)
        response = case.call(base_url=base, headers=headers)
        after_call(None, case, response)
        case.validate_response(response, headers=headers)
        if not 200 <= response.status_code < 300:
            raise AssertionError(f"{case.operation.label} answered {response.status_code}: {response.text[:300]}")
        links = raw["paths"][path][method]["responses"][str(response.status_code)].get("links", {})
        return response, links

    def follow(link: dict[str, Any], response: Any) -> tuple[Any, dict[str, Any]]:
        parameters = {name: response.json()[expression.rpartition("/")[2]]
                      for name, expression in link["parameters"].items()}  # fmt: skip
        return call(link["operationId"], path_parameters=parameters)

    def create() -> tuple[Any, dict[str, Any]]:
        steps.append("create")
        return call(
            "postApiV1Campaigns", media_type="multipart/form-data",
            body={"name": "lifecycle walk", "agent_id": "3f1c2b9e-8d4a-4f6e-9b7a-2c5d8e1f0a34",
                  "phone_number_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "contacts": Binary(CONTACTS_CSV)},
        )  # fmt: skip

    steps: list[str] = []
    try:
        response, links = create()
        for step in [*LIFECYCLE, None]:
            for name, link in links.items():
                if by_id[link["operationId"]][1] == "get" and link["operationId"] not in skipped:
                    follow(link, response)
                    steps.append(f"({name})")
            if step is not None:
                response, links = follow(links[step], response)
                steps.append(step)
        response, links = create()
        for step in FROM_A_DRAFT:
            follow(links[step], response)
            steps.append(step)
    except Exception as failure:  # a failed check, an unexpected status, a missing link
        print(f"\nlifecycle walk: failed after {' → '.join(steps)}:\n{failure}", file=sys.stderr)
        return 1
    print(f"\nlifecycle walk: {' → '.join(steps)}: every answer as documented")
    return 0


def report(record: Path, implemented: set[str] | None, document: Path = SPEC) -> int:
    """Print every operation's documented and answered codes; 1 if an implemented operation
    (`None`: every operation) never answered its success code."""
    from kataven_hub import openapi

    answered: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    for line in record.read_text().splitlines() if record.exists() else []:
        entry = json.loads(line)
        answered[entry["operation"]][entry["status"]] += 1
    disabled = _disabled_operations()
    missing = []
    print("\nwhat every operation answered (documented codes; answered code × times):")
    for operation in openapi.operations(openapi.load(document)):
        label, operation_id = operation.label, operation.operation_id
        documented = sorted(operation.definition["responses"])
        success = min((c for c in documented if c.startswith("2")), default=None)
        got = answered.get(label, collections.Counter())
        seen = " ".join(f"{code}×{n}" for code, n in sorted(got.items())) or "-"
        note = ""
        if operation_id in disabled:
            note = "  (not run here: its stream never ends; tests/test_events.py reads it)"
        elif implemented is not None and operation_id not in implemented:
            note = "  (served by the mock or a stub: not required)"
        elif success is not None and int(success) not in got:
            note = f"  ✘ {success} never answered"
            missing.append(f"{operation_id} ({label}) never answered its success code {success}")
        print(f"  {label:<40} {' '.join(documented):<32} {seen}{note}")
    for problem in missing:
        print(f"contract-test: {problem}", file=sys.stderr)
    return 1 if missing else 0


def _implemented() -> set[str]:
    from kataven_hub import control, openapi
    from kataven_hub.openapi import routing

    if SPEC.resolve() == control.DOCUMENT.resolve():  # its handlers are the control module's
        return {op.operation_id for op in openapi.operations(openapi.load(SPEC))}
    routes = routing.routes(openapi.operations(openapi.load(SPEC)))
    return {r.operation.operation_id for r in routes if r.served_by not in (routing.MOCK, routing.STUB)}


def _ours(document: Path = SPEC) -> bool:
    """Whether the document serves this project's campaigns (the walk and its key are for those)."""
    from kataven_hub import openapi

    return "postApiV1Campaigns" in {op.operation_id for op in openapi.operations(openapi.load(document))}


def _stateless_mocks() -> list[str]:
    """Schemathesis' `use_after_free` asks a deleted resource to be gone: a DELETE served by a mock
    that does not remember keeps nothing, so where one is (or, on another server, for a document
    not ours), that check is left out, and said; likewise
    `ignored_auth` on another document served in dev mode, here or at BASE_URL, where any credential
    is taken (any other server, a FastAPI application's say, is asked to refuse a wrong one)."""
    excluded = []
    if _mocked() if not os.environ.get("BASE_URL") else not _ours():
        print("contract-test: a DELETE served by a mock that keeps nothing: use_after_free is not checked")
        excluded.append("use_after_free")
    remote = os.environ.get("BASE_URL")
    if not _ours() and (not remote or in_dev_mode(remote)):
        print("contract-test: in dev mode any credential the document asks for is taken: ignored_auth is not checked")
        excluded.append("ignored_auth")
    return ["--exclude-checks", ",".join(excluded)] if excluded else []


def _mocked() -> bool:
    """Whether a DELETE is served by a mock that does not remember (mock.remember)."""
    from kataven_hub import openapi
    from kataven_hub.mock.remember import roles
    from kataven_hub.openapi import routing

    mocked = [r.operation for r in routing.routes(openapi.operations(openapi.load(SPEC))) if r.served_by == routing.MOCK]
    kept = roles(mocked)
    return any(op.method == "delete" and op.operation_id not in kept for op in mocked)


def _disabled_operations() -> set[str]:
    config = tomllib.loads((ROOT / "schemathesis.toml").read_text())
    return {op["include-operation-id"] for op in config.get("operations", []) if op.get("enabled") is False}


if __name__ == "__main__":
    raise SystemExit(main())
