"""`hub routes`: which code serves each operation of the document (a handler, a scaffolded stub,
or the mock, and what the mock remembers), one document after another where several are served
(`openapi.mounts`); `--check` for CI."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kataven_hub.settings import Settings


def add_commands(commands: Any, spec: Callable[[argparse.ArgumentParser], None]) -> None:
    """`hub routes`, on the `hub` command's subparsers; `spec` adds its `--spec` and `--mount`."""
    routes = commands.add_parser("routes", help="which code serves each operation: a handler, a stub or the mock")
    routes.add_argument(
        "--check", action="store_true",
        help="exit 1 if an operation is served by the mock or a stub, or a handler function by no operation",
    )  # fmt: skip
    routes.add_argument("--lenient", action="store_true", default=None,
                        help="list an invalid document as `hub serve --lenient` serves it: each operation it breaks marked 501")  # fmt: skip
    spec(routes)
    routes.set_defaults(command=routes_command, several=True)


def routes_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub.openapi import mounts

    if args.mount:
        return _routes(mounts.chosen(settings.spec, args.mount).path, args, settings.lenient)
    documents = mounts.documents(settings.spec)
    if documents == [mounts.Mounted("", settings.spec)]:
        return _routes(settings.spec, args, settings.lenient)
    for document in documents:  # several: each under a line naming it
        print(f"{document.shown} ({document.path}):")
        code = _routes(document.path, args, settings.lenient)
        if code:
            return code
    return 0


def _routes(spec: Path, args: argparse.Namespace, lenient: bool) -> int:
    from kataven_hub import openapi
    from kataven_hub.app import mock_answers
    from kataven_hub.errors import ConfigurationError
    from kataven_hub.openapi import lenient as served_leniently
    from kataven_hub.openapi import routing, sent
    from kataven_hub.openapi.document import InvalidDocument
    from kataven_hub.schemas.satisfy import short

    try:
        document = openapi.load(spec, lenient=lenient)
    except InvalidDocument as err:
        raise ConfigurationError(f"{err} (list it as `hub serve --lenient` serves it with --lenient)") from None
    operations = openapi.operations(document)
    broken = served_leniently.unservable(document, served_leniently.problems(document)) if lenient else {}
    found = routing.routes(operations)
    path_width = max((len(r.operation.path) for r in found), default=0)
    id_width = max((len(r.operation.operation_id) for r in found), default=0)
    mocks = mock_answers(found)
    for route in found:
        op = route.operation
        kept = f" (remembered: {mocks['remembered'][op.operation_id].kind})" if op.operation_id in mocks["remembered"] else ""
        if op.operation_id in mocks["parents"]:
            kept += f" (under {mocks['parents'][op.operation_id].read.label})"
        served_by = f"501: {short(broken[op.operation_id], 200)}" if op.operation_id in broken else route.served_by + kept
        print(f"{op.method.upper():<7} {op.path:<{path_width}}  {op.operation_id:<{id_width}}  {served_by}")
    for line in sent.listing(document)[1 if not found else 0 :]:  # no blank line first on a document of no paths
        print(line)
    if not args.check:
        return 0
    problems = routing.problems(operations)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"hub routes --check: {len(problems)} problem(s), listed above", file=sys.stderr)
        return 1
    print(f"hub routes --check: every one of the {len(found)} operations has a handler, and every handler an operation")
    return 0
