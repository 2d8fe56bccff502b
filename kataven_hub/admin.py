"""The `hub` commands that manage an account's data beside a server: API keys, limits, reset and
demo data; and dev mode's first-start greeting."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kataven_hub import auth, storage
from kataven_hub import settings as settings_module
from kataven_hub.auth import check_account_name
from kataven_hub.campaigns.limits import ALL_LIMITS, all_limits, set_limits
from kataven_hub.errors import ConfigurationError
from kataven_hub.settings import Settings

if TYPE_CHECKING:
    from kataven_hub.openapi import Operation

DEMO_ACCOUNT = "demo"
log = logging.getLogger("kataven_hub")


def add_commands(commands: Any, *, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    """The subcommands `reset`, `demo`, `keys` and `limits`, each taking `--data-dir`."""
    _data_dir = data_dir
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


CONTROL = "End-to-end tests: fresh accounts, reset, demo data and each account's clock at {base}/_hub/ui/\n"
"""The line of dev mode's greeting that points at the control surface (`kataven_hub.control`)."""
CAMPAIGN_OPERATIONS = {"postApiV1Campaigns", "getApiV1CampaignsId", "postApiV1CampaignsIdStart"}
"""What a document must serve for dev mode to fill the demo account."""


def greet(settings: Settings, document: dict[str, Any], operations: list[Operation]) -> None:
    """Dev mode's greeting for the document served (as written, and its operations): ours (its
    campaign operations) gets the demo account; any other its title and a `curl` for one of its
    operations."""
    from kataven_hub.openapi.curl import curl, pick
    from kataven_hub.web.specdocs import ui_path

    if CAMPAIGN_OPERATIONS <= {op.operation_id for op in operations}:
        greet_demo(settings)
        return
    base = f"http://{settings.host}:{settings.port}"
    shown = pick(operations)
    call = curl(base, shown, (document.get("components") or {}).get("securitySchemes") or {}) if shown else ""
    title = (document.get("info") or {}).get("title", settings.spec.name)
    print(
        f"\nDev mode: serving {title!r} ({len(operations)} operations) from {settings.spec}.\n\n"
        + (f"Call {shown.label} ({shown.operation_id}):\n\n    {call}\n\n" if shown else "")
        + f"Swagger UI: {base}{ui_path(document)}/; which code serves each operation: `hub routes --spec {settings.spec}`\n"
        + CONTROL.format(base=base),
        flush=True,
    )


def greet_demo(settings: Settings) -> None:
    """On the first dev start, mint a key for the `demo` account, fill it with the demo campaigns
    and show how to use it."""
    from kataven_hub import demo

    with _backend(settings) as stores:
        with stores.system.read() as conn:
            minted = conn.list_keys(DEMO_ACCOUNT)
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
        f" `hub reset --account {DEMO_ACCOUNT}`).\n" + CONTROL.format(base=base),
        flush=True,
    )


def reset_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub.campaigns import reset_account

    with _backend(settings) as stores:
        with stores.account(check_account_name(args.account)) as database:
            deleted = reset_account(database)
    print(f"reset account {args.account}: deleted {deleted} campaign(s) and their contacts; keys and call limits kept")
    return demo_command(settings, args) if args.demo else 0


def demo_command(settings: Settings, args: argparse.Namespace) -> int:
    from kataven_hub import demo
    from kataven_hub.campaigns import reset_account

    account = check_account_name(args.account)
    with _backend(settings) as stores:
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
    with _backend(settings) as stores:
        record, key = auth.create_key(stores.system, pepper, account=args.account, name=args.name)
    print(f"created {record['id']} for account {record['account']}; the key is shown only once:")
    print(key)
    return 0


def keys_list(settings: Settings, args: argparse.Namespace) -> int:
    with _backend(settings) as stores, stores.system.read() as conn:
        keys = conn.list_keys(args.account)
    for key in keys:
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "live"
        print(
            f"{key['id']}\t{key['account']}\tsk_live_{key['account']}_…{key['hint']}"
            f"\t{key['created_at']}\t{state}\t{key['name']}"
        )
    return 0


def keys_revoke(settings: Settings, args: argparse.Namespace) -> int:
    with _backend(settings) as stores:
        auth.revoke_key(stores.system, args.key_id)
    print(f"revoked {args.key_id}")
    return 0


def limits_show(settings: Settings, args: argparse.Namespace) -> int:
    with _backend(settings) as stores, stores.account(check_account_name(args.account)) as database:
        limits = all_limits(database)
    return _print_limits(limits)


def limits_set(settings: Settings, args: argparse.Namespace) -> int:
    changes = {name: getattr(args, name) for name in ALL_LIMITS}
    with _backend(settings) as stores, stores.account(check_account_name(args.account)) as database:
        try:
            limits = set_limits(database, **changes)
        except ValueError as err:
            raise ConfigurationError(str(err)) from None
    return _print_limits(limits)


def _print_limits(limits: dict[str, int]) -> int:
    for name, value in limits.items():
        print(f"{name}\t{value}")
    return 0


def _backend(settings: Settings) -> storage.Backend:
    """What the settings point at: the PostgreSQL database, or the data directory's files."""
    return storage.open_backend(settings.data_dir, settings.database_url)
