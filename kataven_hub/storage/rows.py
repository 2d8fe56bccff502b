"""Rows as the spec's data, the same from either driver: the fields, which columns are read, and
the shaping of a row into a dict (empty fields omitted, custom fields by name)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

CAMPAIGN_FIELDS = (
    "id", "name", "agent_id", "phone_number_id", "max_concurrent_calls", "retries_per_contact",
    "retry_delay_seconds", "scheduled_at", "started_at", "completed_at", "created_at",
    "created_by", "status", "contacts_total",
)  # fmt: skip
CONTACT_FIELDS = (
    "id", "phone_number", "custom_fields", "status", "attempts", "last_attempt_at",
    "next_attempt_at", "last_outcome", "session_id", "created_at",
)  # fmt: skip
LIMIT_FIELDS = (
    "concurrent_max", "calls_per_minute", "daily_calls_max", "daily_minutes_max",
    "requests_per_minute", "requests_per_hour", "requests_per_day", "requests_in_flight",
)  # fmt: skip
LIVE_FIELDS = (*CAMPAIGN_FIELDS, "custom_field_names")
"""A live campaign as the dispatcher reads it: the spec's fields and its custom-field names (JSON)."""
KEY_FIELDS = ("id", "account", "name", "hint", "created_at", "revoked_at")


def present(fields: tuple[str, ...], row: Iterable[Any]) -> dict[str, Any]:
    """The row as a dict, its empty fields left out."""
    return {k: v for k, v in zip(fields, row) if v is not None}


def contact(row: tuple[Any, ...], columns: list[str]) -> dict[str, Any]:
    """A contact row (CONTACT_FIELDS) with its custom fields by name."""
    found = present(CONTACT_FIELDS, row)
    found["custom_fields"] = dict(zip(columns, json.loads(found["custom_fields"])))
    return found


def due(rows: Iterable[tuple[Any, ...]], campaign: dict[str, Any]) -> list[dict[str, Any]]:
    """Due contacts (id, number, custom fields as JSON, attempts) of a live campaign, as the
    dispatcher places them."""
    columns = json.loads(campaign["custom_field_names"])
    return [
        {"id": i, "phone_number": number, "custom_fields": dict(zip(columns, json.loads(fields))), "attempts": attempts}
        for i, number, fields, attempts in rows
    ]
