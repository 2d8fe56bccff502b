"""`hub consumers check DIR`: every use recorded or imported in the folder (and every interaction of
a pact file in it) still valid against the document; `hub consumers import PACT... --into DIR`: pacts
written as consumer contracts and checked. Exit 0 if all hold, 1 with a line per break, 2 if it cannot."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kataven_hub.errors import ConfigurationError

if TYPE_CHECKING:
    from kataven_hub.consumers.check import Break
    from kataven_hub.settings import Settings


def add_commands(commands: Any, spec: Callable[[argparse.ArgumentParser], None]) -> None:
    """`hub consumers check` and `import`, on the `hub` command's subparsers; `spec` adds their `--spec`."""
    consumers = commands.add_parser("consumers", help="the consumer contracts `hub serve --record` writes or pacts give")
    actions = consumers.add_subparsers(required=True, metavar="ACTION")
    checking = actions.add_parser(
        "check", help="every recorded use, and every interaction of a pact in DIR, still valid against the document"
                      " (exit 1 naming each break, 2 if it cannot check)",
    )  # fmt: skip
    checking.add_argument("directory", type=Path, metavar="DIR", help="the folder of contracts (DIR/<consumer>.json) and pacts")
    spec(checking)
    checking.set_defaults(command=check_command)
    importing = actions.add_parser(
        "import", help="pact files (specification 2, 3, 4) merged into DIR/<consumer>.json, each interaction checked"
                       " against the document (exit 1 naming each that does not hold, 2 if a file is not a pact)",
    )  # fmt: skip
    importing.add_argument("pacts", type=Path, nargs="+", metavar="PACT", help="a pact file (JSON)")
    importing.add_argument("--into", type=Path, required=True, metavar="DIR", help="the folder of contracts to merge into")
    spec(importing)
    importing.set_defaults(command=import_command)


def check_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub import openapi  # here, not on import: every `hub` command builds the parser
    from kataven_hub.consumers.imports import check_folder

    document = openapi.load(settings.spec)
    try:
        breaks, checked = check_folder(args.directory, document, openapi.operations(document))
    except ValueError as err:
        raise ConfigurationError(f"hub consumers check: {err}") from None
    return _reported(breaks, f"hub consumers check: {len(breaks)} use(s) broken, of {checked} operation(s) and interaction(s) used")


def import_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub import openapi
    from kataven_hub.consumers.imports import import_pacts

    document = openapi.load(settings.spec)
    try:
        breaks, written, read = import_pacts(args.pacts, args.into, document, openapi.operations(document))
    except ValueError as err:
        raise ConfigurationError(f"hub consumers import: {err}") from None
    names = ", ".join(str(path) for path in written) or "nothing"
    return _reported(breaks, f"hub consumers import: {len(breaks)} break(s) in {read} interaction(s); wrote {names}")


def _reported(breaks: list[Break], summary: str) -> int:
    for problem in breaks:
        print(problem)
    print(summary, file=sys.stderr if breaks else sys.stdout)
    return 1 if breaks else 0
