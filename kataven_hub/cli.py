"""The `hub` command: serve the API, see and scaffold what serves each operation, manage API keys
and call limits."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from kataven_hub import auth, storage
from kataven_hub import settings as settings_module
from kataven_hub.auth import check_account_name
from kataven_hub.campaigns.limits import ALL_LIMITS, all_limits, set_call_limits
from kataven_hub.errors import ConfigurationError, HubError
from kataven_hub.settings import Settings

DEMO_ACCOUNT = "demo"
_SETTING_FLAGS = {
    "host", "port", "data_dir", "dev", "sim_time_scale", "sim_seed", "spec", "latency", "error_rate", "fault_seed",
    "rate_limits", "console",
}  # fmt: skip
log = logging.getLogger("kataven_hub")


def main(argv: Sequence[str] | None = None) -> int:
    # connexion imports starlette's test client, which warns about httpx on every import
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    args = _parser().parse_args(argv)
    overrides = {
        k: v for k, v in vars(args).items() if k in _SETTING_FLAGS and v is not None
    }
    try:
        settings = settings_module.from_environment(settings_module.environ(), **overrides)
        return int(args.command(settings, args) or 0)
    except (ConfigurationError, HubError) as err:
        print(f"hub: {err}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8081)")
    _data_dir(serve)
    _spec(serve)
    serve.add_argument("--dev", action="store_true", default=None, help="dev mode")
    serve.add_argument("--sim-time-scale", type=float, help="campaign seconds per real second")
    serve.add_argument("--sim-seed", type=int, help="seed of the simulated carrier")
    serve.add_argument("--latency", metavar="MS|LOW-HIGH", help="dev mode: delay every API answer (milliseconds)")
    serve.add_argument("--error-rate", type=float, metavar="P", help="dev mode: answer this share with the 500")
    serve.add_argument("--fault-seed", type=int, help="seed of the injected latency and faults (default 0)")
    serve.add_argument(
        "--rate-limits", action="store_true", default=None, help="enforce each account's request-rate limits"
    )
    serve.add_argument("--console", action="store_true", default=None, help="serve /console/ outside dev mode")
    serve.set_defaults(command=serve_command)

    routes = commands.add_parser("routes", help="which code serves each operation: a handler, a stub or the mock")
    routes.add_argument(
        "--check", action="store_true",
        help="exit 1 if an operation is served by the mock or a stub, or a handler function by no operation",
    )  # fmt: skip
    _spec(routes)
    routes.set_defaults(command=routes_command)
    stubs = commands.add_parser("scaffold", help="write a handler stub for every operation served by the mock")
    _spec(stubs)
    stubs.set_defaults(command=scaffold_command)

    reset = commands.add_parser(
        "reset", help="delete every campaign and contact of an account (keys and call limits stay)"
    )
    reset.add_argument("--account", required=True)
    reset.add_argument("--demo", action="store_true", help="then fill the account with the demo campaigns")
    reset.add_argument("--seed", type=int, default=0, help="seed of the demo data (default 0)")
    _data_dir(reset)
    reset.set_defaults(command=reset_command)
    demo = commands.add_parser("demo", help="fill an account with demo campaigns, one in every status")
    demo.add_argument("--account", required=True)
    demo.add_argument("--seed", type=int, default=0, help="seed of the demo data (default 0)")
    demo.add_argument("--replace", action="store_true", help="empty the account first (as `hub reset` does)")
    _data_dir(demo)
    demo.set_defaults(command=demo_command)

    keys = commands.add_parser("keys", help="manage sk_live_ API keys").add_subparsers(
        required=True, metavar="ACTION"
    )
    create = keys.add_parser("create", help="mint a key; prints it once, on the last line")
    create.add_argument("--account", required=True)
    create.add_argument("--name", default="", help="a label to recognise the key by")
    _data_dir(create)
    create.set_defaults(command=keys_create)
    listing = keys.add_parser("list", help="list keys (never their plaintext)")
    listing.add_argument("--account")
    _data_dir(listing)
    listing.set_defaults(command=keys_list)
    revoke = keys.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    _data_dir(revoke)
    revoke.set_defaults(command=keys_revoke)

    limits = commands.add_parser("limits", help="an account's call and request-rate limits").add_subparsers(
        required=True, metavar="ACTION"
    )
    show = limits.add_parser("show", help="print an account's limits")
    show.add_argument("--account", required=True)
    _data_dir(show)
    show.set_defaults(command=limits_show)
    change = limits.add_parser("set", help="set some of an account's limits (0 blocks)")
    change.add_argument("--account", required=True)
    for name in ALL_LIMITS:
        change.add_argument(f"--{name.replace('_', '-')}", type=int, metavar="N")
    _data_dir(change)
    change.set_defaults(command=limits_set)
    return parser


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="data directory (default ./data)")


def _spec(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", type=Path, help="the OpenAPI document (default: the project's openapi.yaml)")


def routes_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub import spec
    from kataven_hub.spec import routing

    operations = spec.operations(spec.load(settings.spec))
    found = routing.routes(operations)
    path_width = max((len(r.operation.path) for r in found), default=0)
    id_width = max((len(r.operation.operation_id) for r in found), default=0)
    for route in found:
        op = route.operation
        print(f"{op.method.upper():<7} {op.path:<{path_width}}  {op.operation_id:<{id_width}}  {route.served_by}")
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


def scaffold_command(settings: Settings, _args: argparse.Namespace) -> int:
    from kataven_hub import spec
    from kataven_hub.spec import routing
    from kataven_hub.spec.scaffold import scaffold

    written = scaffold(routing.routes(spec.operations(spec.load(settings.spec))))
    for stub in written:
        print(f"wrote {stub.function} into {stub.path} for {stub.operation.label} ({stub.operation.operation_id})")
    if not written:
        print("nothing to scaffold: every operation has a handler")
    return 0


def serve_command(settings: Settings, _args: argparse.Namespace) -> int:
    import uvicorn

    from kataven_hub.app import create_app
    from kataven_hub.dispatch.lock import DispatchLock

    settings = settings_module.finalize(settings)
    if settings.dispatch:  # a clear refusal now, rather than a failed start-up later
        DispatchLock(settings.data_dir).ensure_free()
    # the event loop waits for the GIL while a request's worker thread holds it: hand it over
    # every 0.2 ms instead of every five, so one large upload cannot stall other requests
    sys.setswitchinterval(0.0002)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    app = create_app(settings)  # an invalid spec is refused here, before anything is written
    if settings.dev:
        _greet_demo(settings)
    log.info(
        "open files: limit %d; up to %d account databases open at once and %d connections"
        " (more get a 503)", settings_module.open_file_limit(), settings.open_accounts, settings.connection_bound,
    )  # fmt: skip
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level="info", limit_concurrency=settings.connection_bound
    )
    return 0


def _greet_demo(settings: Settings) -> None:
    """On the first dev start, mint a key for the `demo` account, fill it with the demo campaigns
    and show how to use it."""
    from kataven_hub import demo

    with storage.Stores(settings.data_dir) as stores:
        with stores.system.read() as db:
            minted = storage.list_keys(db, DEMO_ACCOUNT)
        if minted:
            log.info("dev mode: mint another demo key with `hub keys create --account demo`")
            return
        _record, key = auth.create_key(
            stores.system, settings.pepper, account=DEMO_ACCOUNT, name="demo (dev mode)"
        )
        made = demo.fill(stores, DEMO_ACCOUNT)
    base = f"http://{settings.host}:{settings.port}"
    print(
        f"\nDev mode: created account '{DEMO_ACCOUNT}' with this API key (shown once):\n\n"
        f"    {key}\n\nCreate a campaign:\n\n"
        f"    printf 'phone_number,first_name\\n+14155552671,Ada\\n' > contacts.csv\n"
        f"    curl -s {base}/api/v1/campaigns -H 'Authorization: Bearer {key}' \\\n"
        "      -F name='First campaign' -F agent_id=3f1c2b9e-8d4a-4f6e-9b7a-2c5d8e1f0a34 \\\n"
        "      -F phone_number_id=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d -F contacts=@contacts.csv\n\n"
        f"Swagger UI: {base}/ui/\n\n"
        f"The account holds {len(made)} demo campaigns, one in every status (`hub demo`; empty it with"
        f" `hub reset --account {DEMO_ACCOUNT}`).\n",
        flush=True,
    )


def reset_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub.campaigns import reset_account

    with storage.Stores(settings.data_dir) as stores:
        with stores.account(check_account_name(args.account)) as database:
            deleted = reset_account(database)
    print(f"reset account {args.account}: deleted {deleted} campaign(s) and their contacts; keys and call limits kept")
    return demo_command(settings, args) if args.demo else 0


def demo_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub import demo
    from kataven_hub.campaigns import reset_account

    account = check_account_name(args.account)
    with storage.Stores(settings.data_dir) as stores:
        if getattr(args, "replace", False):
            with stores.account(account) as database:
                reset_account(database)
        made = demo.fill(stores, account, seed=args.seed)
    if not made:
        print(f"account {account} has the demo campaigns already; `hub demo --replace` empties it and fills it again")
    for campaign in made:
        print(f"{campaign['status']:<10} {campaign['id']}  {campaign['name']}")
    return 0


def keys_create(settings: Settings, args: argparse.Namespace) -> int:
    pepper = settings_module.pepper_for_keys(settings)
    with storage.Stores(settings.data_dir) as stores:
        record, key = auth.create_key(stores.system, pepper, account=args.account, name=args.name)
    print(f"created {record['id']} for account {record['account']}; the key is shown only once:")
    print(key)
    return 0


def keys_list(settings: Settings, args: argparse.Namespace) -> int:
    with storage.Stores(settings.data_dir) as stores, stores.system.read() as db:
        keys = storage.list_keys(db, args.account)
    for key in keys:
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "live"
        print(
            f"{key['id']}\t{key['account']}\tsk_live_{key['account']}_…{key['hint']}"
            f"\t{key['created_at']}\t{state}\t{key['name']}"
        )
    return 0


def keys_revoke(settings: Settings, args: argparse.Namespace) -> int:
    with storage.Stores(settings.data_dir) as stores:
        auth.revoke_key(stores.system, args.key_id)
    print(f"revoked {args.key_id}")
    return 0


def limits_show(settings: Settings, args: argparse.Namespace) -> int:
    with storage.Stores(settings.data_dir) as stores, stores.account(check_account_name(args.account)) as db:
        limits = all_limits(db)
    return _print_limits(limits)


def limits_set(settings: Settings, args: argparse.Namespace) -> int:
    changes = {name: getattr(args, name) for name in ALL_LIMITS}
    with storage.Stores(settings.data_dir) as stores, stores.account(check_account_name(args.account)) as db:
        try:
            limits = set_call_limits(db, **changes)
        except ValueError as err:
            raise ConfigurationError(str(err)) from None
    return _print_limits(limits)


def _print_limits(limits: dict[str, int]) -> int:
    for name, value in limits.items():
        print(f"{name}\t{value}")
    return 0
