"""`hub consumers check DIR`: every use recorded in the folder still valid against the document;
exit 0 if so, 1 with a line per break (consumer, operation, what, example), 2 if it cannot check."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kataven_hub.errors import ConfigurationError

if TYPE_CHECKING:
    from kataven_hub.settings import Settings


def add_commands(commands: Any, spec: Callable[[argparse.ArgumentParser], None]) -> None:
    """`hub consumers check`, on the `hub` command's subparsers; `spec` adds its `--spec`."""
    consumers = commands.add_parser("consumers", help="the consumer contracts `hub serve --record` writes")
    checking = consumers.add_subparsers(required=True, metavar="ACTION").add_parser(
        "check", help="every recorded use still valid against the document (exit 1 naming each break, 2 if it cannot check)"
    )
    checking.add_argument("directory", type=Path, metavar="DIR", help="the folder of contracts (DIR/<consumer>.json)")
    spec(checking)
    checking.set_defaults(command=check_command)


def check_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub import openapi  # here, not on import: every `hub` command builds the parser
    from kataven_hub.consumers.check import check_folder

    try:
        breaks, checked = check_folder(args.directory, openapi.operations(openapi.load(settings.spec)))
    except ValueError as err:
        raise ConfigurationError(f"hub consumers check: {err}") from None
    for problem in breaks:
        print(problem)
    summary = f"hub consumers check: {len(breaks)} use(s) broken, of {checked} operation(s) used"
    print(summary, file=sys.stderr if breaks else sys.stdout)
    return 1 if breaks else 0
