"""The domain: the rules a schema cannot express. The campaign state machine (`states`), the
operations on a campaign (`lifecycle`, and the create under an Idempotency-Key: `idempotency`),
the contacts file (`ingest`, `numbers`, `workers`), large uploads in turns (`turns`), an
account's limits (`limits`). It knows nothing of HTTP.

The operations and the state machine are re-exported here, and loaded on first use: the ingest
workers import `ingest` through this package, and must not carry storage and the rest with them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kataven_hub.campaigns.idempotency import create_keyed
    from kataven_hub.campaigns.lifecycle import (
        CONTACT_STATUSES,
        DEFAULTS,
        PAGE_SIZE,
        create_campaign,
        delete_campaign,
        get_campaign,
        list_campaigns,
        list_contacts,
        pause_campaign,
        reset_account,
        resume_campaign,
        snapshot,
        start_campaign,
        stop_campaign,
    )
    from kataven_hub.campaigns.states import TERMINAL, Status

_HOMES = {"TERMINAL": "states", "Status": "states", "create_keyed": "idempotency"}
"""Where a re-exported name lives, when not in `lifecycle`."""
__all__ = [
    "CONTACT_STATUSES", "DEFAULTS", "PAGE_SIZE", "TERMINAL", "Status", "create_campaign", "create_keyed", "delete_campaign", "get_campaign",
    "list_campaigns", "list_contacts", "pause_campaign", "reset_account", "resume_campaign", "snapshot",
    "start_campaign", "stop_campaign",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_HOMES.get(name, 'lifecycle')}")
    return getattr(module, name)
