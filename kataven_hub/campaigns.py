"""Campaigns: the rules a schema cannot express (time, CSV semantics, one transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from kataven_hub import clock, storage
from kataven_hub.errors import InvalidInput
from kataven_hub.ingest import parse_contacts
from kataven_hub.storage import Database

DEFAULTS = {"max_concurrent_calls": 5, "retries_per_contact": 0, "retry_delay_seconds": 300}
"""The form's defaults; a test keeps them equal to openapi.yaml's."""


def create_campaign(
    db: Database,
    form: dict[str, Any],
    csv_data: bytes,
    *,
    created_by: str,
    region: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Create a `draft` campaign and its contacts in one transaction; InvalidInput if any is bad."""
    now = now or clock.now()
    scheduled_at = _future_time(form.get("scheduled_at"), now)
    contacts = parse_contacts(csv_data, region=region)
    campaign = {
        **DEFAULTS,
        **{k: form[k] for k in DEFAULTS if form.get(k) is not None},
        "id": str(uuid.uuid4()),
        "name": form["name"],
        "agent_id": form["agent_id"],
        "phone_number_id": form["phone_number_id"],
        "status": "draft",
        "created_at": clock.iso(now),
        "created_by": created_by,
        "contacts_total": len(contacts),
    }
    if scheduled_at:
        campaign["scheduled_at"] = scheduled_at
    with db.write() as conn:
        storage.insert_campaign(conn, campaign, contacts)
    return campaign


def _future_time(value: str | None, now: datetime) -> str | None:
    if value is None:
        return None
    try:
        moment = clock.parse(value)
    except (ValueError, OverflowError):
        raise InvalidInput(f"scheduled_at: {value!r} is not an RFC3339 timestamp") from None
    if moment <= now:
        raise InvalidInput(f"scheduled_at: {value} is in the past")
    return clock.iso(moment)
