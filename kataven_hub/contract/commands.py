"""`hub contract`'s arguments, and the command: Schemathesis is imported only when it runs, so
every other `hub` command starts without it (it is the `contract` extra)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kataven_hub.settings import Settings


def add_commands(commands: Any, spec: Callable[[argparse.ArgumentParser], None]) -> None:
    """`hub contract`, on the `hub` command's subparsers; `spec` adds its `--spec`."""
    contract = commands.add_parser(
        "contract", help="check the document's contract over HTTP with Schemathesis, against our own server or --url's"
                         " (exit 1 on a finding, 2 if the run breaks)",
    )  # fmt: skip
    spec(contract)
    contract.add_argument("--url", help="check the server at this base URL instead of starting one (needs --token)")
    contract.add_argument("--token", help="with --url: sent as a bearer token and as each API key the document reads")
    contract.add_argument("--account", help="with --url and a JWT: the account it names (X-Account-ID)")
    contract.add_argument("--seed", type=int, default=20261127, help="the run's seed: the same seed, the same cases")
    contract.add_argument("--max-examples", type=int, default=100, help="cases per operation (default 100)")
    contract.add_argument("--report-dir", type=Path, default=Path("reports"), help="where the JUnit report goes")
    contract.add_argument(
        "--base-spec", metavar="FILE|REVISION",
        help="check the previous contract (a file, or a git revision of the document): positive cases only",
    )  # fmt: skip
    contract.add_argument(
        "--replay", type=Path, metavar="DIR",
        help="instead: send each consumer contract's recorded requests (hub serve --record DIR) and check the answers",
    )  # fmt: skip
    contract.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                          help="what our own server stores in (postgres: a throwaway PostgreSQL)")  # fmt: skip
    contract.set_defaults(command=contract_command, several=True)


def contract_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.replay is not None:
        return replay_command(settings, args)
    from kataven_hub.contract import run, walk
    from kataven_hub.openapi import mounts

    spec, documents = mounts.one(settings.spec, args.mount), mounts.documents(settings.spec)
    options = run.Options(
        spec=spec.resolve(), url=args.url, token=args.token, account=args.account, seed=args.seed,
        max_examples=args.max_examples, report_dir=args.report_dir, base_spec=args.base_spec, database=args.database,
        mount=mounts.chosen(settings.spec, args.mount).prefix if args.mount else "",
        served=os.pathsep.join(f"{d.prefix}={d.path.resolve()}" if d.prefix else str(d.path.resolve()) for d in documents),
        dev=not all(walk.ours(d.path.resolve()) for d in documents),
    )  # fmt: skip
    return run.run(options)


def replay_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub.contract import replay
    from kataven_hub.openapi import mounts

    options = replay.Options(
        spec=mounts.one(settings.spec, args.mount).resolve(), directory=args.replay, url=args.url, token=args.token, account=args.account,
        seed=args.seed, report_dir=args.report_dir,
    )  # fmt: skip
    return replay.run(options)
