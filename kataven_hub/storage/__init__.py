"""Storage: the only package that touches SQLite.

One database file per account (`accounts/<name>.db`, no account column anywhere) and
`system.db` for API keys, each in WAL mode with its schema kept by numbered migrations. Functions
take the database first and return plain dicts shaped like the spec's schemas.
"""

from kataven_hub.storage.campaigns import (
    attempts_made,
    campaigns_in,
    claim_idempotency_key,
    contacts_page,
    delete_campaign,
    delete_everything,
    find_idempotency_key,
    get_campaign,
    get_limits,
    insert_campaign,
    list_campaigns,
    put_limits,
    skip_pending,
    status_counts,
    update_campaign,
)
from kataven_hub.storage.db import Connection, Database, Stores, writable
from kataven_hub.storage.keys import find_key, insert_key, list_keys, revoke_key

__all__ = [
    "Connection", "Database", "Stores", "attempts_made", "claim_idempotency_key", "find_idempotency_key", "campaigns_in", "contacts_page", "delete_campaign", "delete_everything",
    "find_key", "get_campaign", "get_limits", "insert_campaign", "insert_key", "list_campaigns",
    "list_keys", "put_limits", "revoke_key", "skip_pending", "status_counts", "update_campaign", "writable",
]  # fmt: skip
