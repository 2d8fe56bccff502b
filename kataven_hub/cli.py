"""The `hub` command: serve an OpenAPI document, see and scaffold what serves each operation, compare
two versions of it, check a server against it; the commands that manage an account (keys, limits,
reset, demo data) are in `admin`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kataven_hub.errors import ConfigurationError, HubError

if TYPE_CHECKING:
    from kataven_hub.settings import Settings

_SETTING_FLAGS = {
    "host", "port", "data_dir", "database_url", "dev", "sim_time_scale", "sim_seed", "spec", "latency", "error_rate", "fault_seed",
    "rate_limits", "console", "mock_seed", "control_anywhere", "lenient", "watch", "record",
}  # fmt: skip
log = logging.getLogger("kataven_hub")
LOG_LINE = 1000
"""The longest log line: a validator's message (Connexion's own, on a refused answer) quotes whole schemas."""


def main(argv: Sequence[str] | None = None) -> int:
    # what `main` needs is imported here, not on import: the ingest workers import this module again
    # as their `__main__` (multiprocessing does), and must not carry pydantic and the rest
    from kataven_hub import settings as settings_module

    # connexion imports starlette's test client, which warns about httpx on every import
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    args = _parser().parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if k in _SETTING_FLAGS and v is not None}
    if args.spec if "spec" in args else None:  # several: as HUB_SPEC holds them (`openapi.mounts`)
        overrides["spec"] = Path(os.pathsep.join(args.spec))
    try:
        settings = settings_module.from_environment(settings_module.environ(), **overrides)
        if "mount" in args and not getattr(args, "several", False):
            from kataven_hub.openapi import mounts

            settings = settings.model_copy(update={"spec": mounts.one(settings.spec, args.mount)})
        return int(args.command(settings, args) or 0)
    except (ConfigurationError, HubError) as err:
        print(f"hub: {err}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the document (--spec): its handlers, else answers from it")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8081)")
    _data_dir(serve)
    _spec(serve, mount=False)
    serve.add_argument("--dev", action="store_true", default=None, help="dev mode")
    serve.add_argument(
        "--lenient", action="store_true", default=None,
        help="serve an invalid document as far as it can be: a warning per problem, a 501 per operation it breaks",
    )  # fmt: skip
    serve.add_argument(
        "--watch", action="store_true", default=None,
        help="serve the document again each time it, or a file it refers to, changes (remembered data is kept)",
    )  # fmt: skip
    serve.add_argument(
        "--record", type=Path, metavar="DIR",
        help="record what each consumer (X-Hub-Consumer, else its key's name) uses into DIR/<consumer>.json",
    )  # fmt: skip
    serve.add_argument("--sim-time-scale", type=float, help="campaign seconds per real second")
    serve.add_argument("--sim-seed", type=int, help="seed of the simulated carrier")
    serve.add_argument("--latency", metavar="MS|LOW-HIGH", help="dev mode: delay every API answer (milliseconds)")
    serve.add_argument("--error-rate", type=float, metavar="P", help="dev mode: answer this share with the 500")
    serve.add_argument("--fault-seed", type=int, help="seed of the injected latency and faults (default 0)")
    serve.add_argument("--mock-seed", type=int, help="seed of the bodies the mock generates (default 0)")
    serve.add_argument(
        "--rate-limits", action="store_true", default=None, help="enforce each account's request-rate limits"
    )
    serve.add_argument("--console", action="store_true", default=None, help="serve /console/ outside dev mode")
    serve.add_argument(
        "--control-anywhere", action="store_true", default=None,
        help="dev mode: answer the control surface (/_hub/) from any address, not only 127.0.0.1",
    )  # fmt: skip
    serve.set_defaults(command=serve_command, several=True)

    from kataven_hub import routes

    routes.add_commands(commands, spec=_spec)
    stubs = commands.add_parser("scaffold", help="write a handler stub for every operation served by the mock")
    _spec(stubs)
    stubs.set_defaults(command=scaffold_command)
    diff = commands.add_parser(
        "diff", help="which changes to the spec break its clients (exit 1 on an error, 2 if the comparison fails)"
    )
    diff.add_argument("base", nargs="?", help="before: a file, a git revision (origin/main), or auto (the merge base"
                                              " with the default branch)")  # fmt: skip
    diff.add_argument("revision", nargs="?", help="after: a file or a git revision (default: the document as it is)")
    diff.add_argument("--base", dest="base_option", metavar="BASE", help="the same as BASE")
    diff.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="what to print")
    diff.add_argument("--report", type=Path, help="also write the Markdown report to this file")
    diff.add_argument("--config", type=Path, help="the severities and allowed breaks (default: hub-diff.toml beside the spec)")
    diff.add_argument("--consumers", type=Path, metavar="DIR", help="grade each break by use: the consumer contracts"
                      " (`hub serve --record DIR`) that use it, else `unused` (hub-diff.toml's [consumers])")
    diff.add_argument("--rules", action="store_true", help="list the rules, their default severities, and exit")
    _spec(diff)
    diff.set_defaults(command=diff_command)

    from kataven_hub.consumers import commands as consumer_commands
    from kataven_hub.contract import commands as contract_commands

    contract_commands.add_commands(commands, spec=_spec)

    consumer_commands.add_commands(commands, spec=_spec)
    from kataven_hub import admin

    admin.add_commands(commands, data_dir=_data_dir)
    return parser


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="data directory (default ./data)")
    parser.add_argument("--database-url", metavar="URL", help="PostgreSQL instead of the SQLite files (HUB_DATABASE_URL)")


def _spec(parser: argparse.ArgumentParser, mount: bool = True) -> None:
    parser.add_argument(
        "--spec", action="append", metavar="[/PREFIX=]FILE", help="the OpenAPI document (HUB_SPEC; default: ./openapi.yaml,"
        " in this project's checkout its own); given again, each is served under its prefix (default: its servers' path)",
    )  # fmt: skip
    if mount:
        parser.add_argument("--mount", metavar="PREFIX", help="of several documents (--spec, HUB_SPEC), the one served at PREFIX")


def scaffold_command(settings: Settings, _args: argparse.Namespace) -> int:
    from kataven_hub import openapi
    from kataven_hub.openapi import routing
    from kataven_hub.openapi.scaffold import scaffold

    written = scaffold(routing.routes(openapi.operations(openapi.load(settings.spec))))
    for stub in written:
        print(f"wrote {stub.function} into {stub.path} for {stub.operation.label} ({stub.operation.operation_id})")
    if not written:
        print("nothing to scaffold: every operation has a handler")
    return 0


def serve_command(settings: Settings, _args: argparse.Namespace) -> int:
    import uvicorn

    from kataven_hub import admin
    from kataven_hub import settings as settings_module
    from kataven_hub.dispatch.lock import DispatchLock
    from kataven_hub.serving import lone, serving
    from kataven_hub.storage import writable

    settings = settings_module.finalize(settings)
    writable(settings.data_dir)  # a read-only or missing disk refuses the start in one line
    if settings.dispatch and not settings.database_url:  # a clear refusal now, rather than a failed start-up later
        DispatchLock(settings.data_dir).ensure_free()
    # the event loop waits for the GIL while a request's worker thread holds it: hand it over
    # every 0.2 ms instead of every five, so one large upload cannot stall other requests
    sys.setswitchinterval(0.0002)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_bounded)
    app = serving(settings)  # an invalid spec is refused here, before anything is written
    if settings.dev and (served := lone(app)) is not None:
        admin.greet(settings, served.document, served.operations)
    if settings.database_url:
        where = settings.database_url.rsplit("@", 1)[-1]  # no password in the log
        log.info("storage: PostgreSQL (%s); replicas on this database share the accounts and the dispatching", where)
    else:
        log.info(
            "open files: limit %d; up to %d account databases open at once and %d connections"
            " (more get a 503)", settings_module.open_file_limit(), settings.open_accounts, settings.connection_bound,
        )  # fmt: skip
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level="info", limit_concurrency=settings.connection_bound
    )
    return 0


def diff_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub import openapi
    from kataven_hub.diff import compare, consumers, gate, rules

    if args.rules:
        for rule, (severity, meaning) in rules.RULES.items():
            print(f"{rule:<36} {severity:<8} {meaning}")
        return 0
    base = args.base_option or args.base
    if not base:
        raise ConfigurationError("hub diff: say what to compare with: a file, a git revision, or auto")
    revision = args.revision or str(settings.spec)
    try:
        versions = [gate.read_version(version, settings.spec) for version in (base, revision)]
        before, after = (openapi.operations(openapi.load_text(text, name)) for text, name in versions)
        config = args.config or settings.spec.parent / gate.CONFIG
        graded = gate.grade(compare.compare(before, after), gate.load_config(config))
        if args.consumers is not None:
            graded = consumers.by_use(graded, consumers.read_contracts(args.consumers), consumers.unused_severity(config))
    except Exception as err:  # whatever the cause, a failure to compare is exit 2, never 1 ("breaking")
        failure = str(err) if isinstance(err, ConfigurationError) else _short(f"could not compare: {type(err).__name__}: {err}", 300)
        if args.report:  # a failed comparison must not read as a clean one
            args.report.parent.mkdir(parents=True, exist_ok=True)
            args.report.write_text(gate.failure_markdown(base, revision, failure))
        raise ConfigurationError(failure) from None
    names = [name for _text, name in versions]
    render = {"text": gate.as_text, "markdown": gate.as_markdown, "json": gate.as_json}[args.format]
    print(render(graded, *names), end="")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(gate.as_markdown(graded, *names))
    return 1 if gate.verdict(graded) == "breaking" else 0


def _bounded(record: logging.LogRecord) -> bool:
    """Every log line cut to LOG_LINE characters (its traceback, if any, kept)."""
    message = record.getMessage()
    if len(message) > LOG_LINE:
        record.msg, record.args = _short(message, LOG_LINE), None
    return True


def _short(text: str, limit: int) -> str:
    """`text` in one line of at most `limit` characters (`schemas.satisfy.short`, which this module
    does not import: the ingest workers import it again, and must not carry connexion)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
