"""The schema of each kind of database file, as numbered migrations (PRAGMA user_version)."""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database as Db

Migration = Callable[[Db], None]


def _account_v1(conn: Db) -> None:
    conn.table("campaigns").create(
        {
            "id": str, "name": str, "agent_id": str, "phone_number_id": str,
            "max_concurrent_calls": int, "retries_per_contact": int, "retry_delay_seconds": int,
            "scheduled_at": str, "started_at": str, "completed_at": str, "created_at": str,
            "created_by": str, "status": str, "contacts_total": int, "first_contact_id": int,
        },
        pk="id",
        not_null={"name", "agent_id", "phone_number_id", "status", "created_at", "created_by"},
    )  # fmt: skip
    conn.table("campaigns").create_index(["status"])
    conn.table("contacts").create(
        {
            "id": int, "campaign_id": str, "phone_number": str, "custom_fields": str,
            "status": str, "attempts": int, "last_attempt_at": str, "next_attempt_at": str,
            "last_outcome": str, "session_id": str, "created_at": str,
        },
        pk="id",
        not_null={"campaign_id", "phone_number", "custom_fields", "status", "attempts"},
        foreign_keys=[("campaign_id", "campaigns", "id")],
    )  # fmt: skip
    # serves "contacts of a campaign by status", in id order, from the index alone
    conn.table("contacts").create_index(["campaign_id", "status", "id"])
    conn.table("calls").create(
        {
            "id": int, "campaign_id": str, "contact_id": int, "session_id": str,
            "started_at": str, "ended_at": str, "outcome": str, "duration_seconds": float,
        },
        pk="id",
        not_null={"campaign_id", "contact_id", "session_id", "started_at"},
    )  # fmt: skip
    conn.table("calls").create_index(["started_at"])
    conn.execute("CREATE INDEX calls_in_flight ON calls (id) WHERE ended_at IS NULL")
    conn.table("calls").create_index(["session_id"], unique=True)
    conn.table("calls").create_index(["campaign_id"])
    conn.table("call_limits").create(
        {"id": int, "concurrent_max": int, "calls_per_minute": int, "daily_calls_max": int,
         "daily_minutes_max": int},
        pk="id",
    )  # fmt: skip


def _account_v2(conn: Db) -> None:
    """Custom-field names once per campaign, and each contact's values as a JSON array in their
    order: a header repeated in every row made what is stored grow faster than the upload."""
    conn.execute("ALTER TABLE campaigns ADD COLUMN custom_field_names TEXT NOT NULL DEFAULT '[]'")
    conn.execute(
        "UPDATE campaigns SET custom_field_names = coalesce(("
        " SELECT (SELECT json_group_array(key) FROM json_each(contacts.custom_fields))"
        " FROM contacts WHERE contacts.id = campaigns.first_contact_id), '[]')"
    )
    conn.execute(
        "UPDATE contacts SET custom_fields ="
        " (SELECT json_group_array(value) FROM json_each(contacts.custom_fields))"
    )


def _account_v3(conn: Db) -> None:
    """The account's request-rate limits beside its call limits (empty: the defaults)."""
    for column in ("requests_per_minute", "requests_per_hour", "requests_per_day", "requests_in_flight"):
        conn.execute(f"ALTER TABLE call_limits ADD COLUMN {column} INTEGER")


def _account_v4(conn: Db) -> None:
    """What the mock remembers of the resources an account created through operations it serves,
    by collection path and id, in the order they were created."""
    conn.execute(
        "CREATE TABLE mock_resources (seq INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL,"
        " id TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (collection, id))"
    )


def _account_v5(conn: Db) -> None:
    """How far the account's clock runs ahead of the machine's (dev mode's control surface)."""
    conn.execute("CREATE TABLE clock (id INTEGER PRIMARY KEY CHECK (id = 1), ahead_seconds REAL NOT NULL)")


def _account_v6(conn: Db) -> None:
    """The Idempotency-Keys of creates: the request's fingerprint and the answer it had."""
    conn.execute(
        "CREATE TABLE idempotency_keys (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, answer TEXT NOT NULL,"
        " created_at TEXT NOT NULL) WITHOUT ROWID"
    )
    conn.execute("CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)")


def _system_v1(conn: Db) -> None:
    conn.table("api_keys").create(
        {
            "id": str, "account": str, "name": str, "hash": str, "hint": str,
            "created_at": str, "revoked_at": str,
        },
        pk="id",
        not_null={"account", "hash", "hint", "created_at"},
    )  # fmt: skip
    conn.table("api_keys").create_index(["hash"], unique=True)


def _system_v2(conn: Db) -> None:
    """The accounts the dispatcher visits: each with a campaign running or scheduled, or a call
    in flight (a superset after a crash, checked at start-up), and what the hub has built."""
    conn.execute("CREATE TABLE accounts_with_work (account TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("CREATE TABLE hub_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


ACCOUNT: list[Migration] = [_account_v1, _account_v2, _account_v3, _account_v4, _account_v5, _account_v6]
SYSTEM: list[Migration] = [_system_v1, _system_v2]
