"""The control surface's operations (`openapi.yaml` beside this module): each checks that the
client may use it, then calls what `hub` and the domain already have."""

from __future__ import annotations

import secrets
from typing import Any

import anyio.to_thread
import connexion.context

from kataven_hub import auth, clock, demo
from kataven_hub.auth import check_account_name
from kataven_hub.campaigns import reset_account as empty
from kataven_hub.errors import Conflict, Forbidden, NotFound
from kataven_hub.hub import Hub
from kataven_hub.storage import Database

LOOPBACK = {"127.0.0.1", "::1"}


async def create_account(hub: Hub, body: dict[str, Any] | None = None) -> tuple[dict[str, Any], int]:
    _allowed(hub)
    body = body or {}
    account = check_account_name(body.get("account") or f"e2e-{secrets.token_hex(6)}")
    if hub.stores.has_account(account):
        raise Conflict(f"account {account!r} exists; reset it, or ask for another name")
    _record, key = await anyio.to_thread.run_sync(
        lambda: auth.create_key(hub.stores.system, hub.settings.pepper, account=account, name="control surface")
    )
    if body.get("demo"):
        await hub.in_account(account, _filled, hub, 0)
    else:
        await hub.in_account(account, _opened)
    return {"account": account, "key": key}, 201


async def reset_account(hub: Hub, account: str) -> dict[str, Any]:
    deleted = await hub.in_account(_existing(hub, account), empty)
    hub.recordings.forget(account)
    return {"account": account, "deleted_campaigns": deleted}


async def load_demo(hub: Hub, account: str, body: dict[str, Any] | None = None) -> tuple[dict[str, Any], int]:
    seed = (body or {}).get("seed", 0)
    made = await hub.in_account(_existing(hub, account), _filled, hub, seed)
    return {"account": account, "campaigns": [{k: c[k] for k in ("id", "name", "status")} for c in made]}, 201


async def read_clock(hub: Hub, account: str) -> dict[str, Any]:
    now, ahead = await hub.in_account(_existing(hub, account), _time, hub)
    return {"account": account, "now": clock.iso(now), "ahead_seconds": ahead}


async def advance_clock(hub: Hub, account: str, body: dict[str, Any]) -> dict[str, Any]:
    _end, rounds = await anyio.to_thread.run_sync(hub.dispatcher.advance, _existing(hub, account), float(body["seconds"]))
    return {**await read_clock(hub, account), "rounds": rounds}


async def read_recording(hub: Hub, account: str) -> dict[str, Any]:
    _existing(hub, account)
    return {"account": account, "on": hub.recordings.is_on(account), "consumers": hub.recordings.contracts(account)}


async def switch_recording(hub: Hub, account: str, body: dict[str, Any]) -> dict[str, Any]:
    hub.recordings.switch(_existing(hub, account), bool(body["on"]))
    return await read_recording(hub, account)


def _allowed(hub: Hub) -> None:
    client = connexion.context.scope.get("client") or ("", 0)
    if client[0] not in LOOPBACK and not hub.settings.control_anywhere:
        raise Forbidden(f"the control surface answers 127.0.0.1 only, not {client[0]} (serve with --control-anywhere)")


def _existing(hub: Hub, account: str) -> str:
    _allowed(hub)
    if not hub.stores.has_account(check_account_name(account)):
        raise NotFound(f"Account {account!r} not found")
    return account


def _opened(_database: Database) -> None:
    """Nothing: opening the account's database made it."""


def _filled(database: Database, hub: Hub, seed: int) -> list[dict[str, Any]]:
    empty(database)
    return demo.fill_in(database, seed=seed)


def _time(database: Database, hub: Hub) -> tuple[Any, float]:
    return clock.now(), hub.dispatcher.ahead(database).total_seconds()
