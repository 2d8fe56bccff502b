"""The operations on a campaign: create from a contacts file, read, list, start, pause, resume, stop,
delete; each in one transaction, each move through the state machine (`states`), within the
account's concurrency budget."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any, BinaryIO

from kataven_hub import clock
from kataven_hub.campaigns.ingest import collector_paused, parse_contacts
from kataven_hub.campaigns.limits import call_limits_in
from kataven_hub.campaigns.states import HOLDS_BUDGET, Status, check, move
from kataven_hub.errors import Conflict, InvalidInput, NotFound
from kataven_hub.storage import Connection, Database

DEFAULTS = {"max_concurrent_calls": 5, "retries_per_contact": 0, "retry_delay_seconds": 300}
"""The form's defaults; a test keeps them equal to openapi.yaml's."""
CONTACT_STATUSES = ("pending", "dialing", "completed", "no_answer", "busy", "failed", "skipped")
PAGE_SIZE = 100


def create_campaign(
    database: Database,
    form: dict[str, Any],
    csv_file: bytes | BinaryIO,
    *,
    created_by: str,
    region: str,
    now: datetime | None = None,
    pool: Executor | None = None,
    campaign_id: str | None = None,
    claim: Callable[[Connection, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Create a `draft` campaign and its contacts in one transaction; InvalidInput if any is bad.
    The id is a new UUID unless given (demo data draws its ids from a seed). `claim` runs in the
    transaction, with the campaign, before anything is stored: what it raises rolls it all back
    (`idempotency` records its key there)."""
    now = now or clock.now()
    scheduled_at = _future_time(form.get("scheduled_at"), now)
    with collector_paused():  # the contacts are stored, and freed, before the collector runs again
        parsed = parse_contacts(csv_file, region=region, pool=pool)
        campaign = {
            **DEFAULTS,
            **{k: form[k] for k in DEFAULTS if form.get(k) is not None},
            "id": campaign_id or str(uuid.uuid4()),
            "name": form["name"],
            "agent_id": form["agent_id"],
            "phone_number_id": form["phone_number_id"],
            "status": Status.DRAFT.value,
            "created_at": clock.iso(now),
            "created_by": created_by,
            "contacts_total": len(parsed.contacts),
        }
        if scheduled_at:
            campaign["scheduled_at"] = scheduled_at
        with database.write() as conn:
            if claim is not None:
                claim(conn, campaign)
            conn.insert_campaign(campaign, parsed.contacts, columns=parsed.columns)
        del parsed
    return campaign


def reset_account(database: Database) -> int:
    """Delete every campaign, contact and call of the account in one transaction; its keys and
    call limits stay. How many campaigns there were."""
    with database.write() as conn:
        return conn.delete_everything()


def get_campaign(database: Database, campaign_id: str) -> dict[str, Any]:
    with database.read() as conn:
        return _existing(conn, campaign_id)


def list_campaigns(database: Database) -> dict[str, list[dict[str, Any]]]:
    """Every campaign of the account, newest first."""
    with database.read() as conn:
        return {"campaigns": conn.list_campaigns()}


def delete_campaign(database: Database, campaign_id: str) -> None:
    """Delete a draft and its contacts; Conflict in any other status."""
    with database.write() as conn:
        campaign = _existing(conn, campaign_id)
        check(campaign, "delete", "deleted")
        conn.delete_campaign(campaign_id)


def start_campaign(database: Database, campaign_id: str, now: datetime | None = None) -> dict[str, Any]:
    """draft or paused -> running, or -> scheduled while `scheduled_at` is ahead."""
    now = now or clock.now()
    with database.write() as conn:
        campaign = _existing(conn, campaign_id)
        ahead = "scheduled_at" in campaign and clock.parse(campaign["scheduled_at"]) > now
        target = Status.SCHEDULED if ahead else Status.RUNNING
        if campaign["status"] == Status.SCHEDULED and ahead:
            raise Conflict(
                f"cannot start campaign in status 'scheduled' before its scheduled_at"
                f" ({campaign['scheduled_at']}); it turns 'running' by itself then"
            )
        check(campaign, "start", target)
        if campaign["status"] != Status.SCHEDULED:
            _check_budget(conn, campaign)
        database.mark_work()
        return move(conn, campaign, "start", target, now)


def pause_campaign(database: Database, campaign_id: str, now: datetime | None = None) -> dict[str, Any]:
    """running -> paused: no new calls; calls in flight finish and record their outcome."""
    with database.write() as conn:
        campaign = _existing(conn, campaign_id)
        return move(conn, campaign, "pause", Status.PAUSED, now or clock.now())


def resume_campaign(database: Database, campaign_id: str, now: datetime | None = None) -> dict[str, Any]:
    """paused -> running, within the account's concurrency budget."""
    with database.write() as conn:
        campaign = _existing(conn, campaign_id)
        check(campaign, "resume", Status.RUNNING)
        _check_budget(conn, campaign)
        database.mark_work()
        return move(conn, campaign, "resume", Status.RUNNING, now or clock.now())


def stop_campaign(database: Database, campaign_id: str, now: datetime | None = None) -> dict[str, Any]:
    """scheduled, running or paused -> completed; pending contacts are skipped, calls in flight
    are not cut."""
    with database.write() as conn:
        campaign = _existing(conn, campaign_id)
        moved = move(conn, campaign, "stop", Status.COMPLETED, now or clock.now())
        conn.skip_pending(campaign_id)
        return moved


def list_contacts(database: Database, campaign_id: str, status: str | None, page: int) -> dict[str, Any]:
    """One page (100, 0-based) of a campaign's contacts, optionally of one status."""
    with database.read() as conn:
        campaign = _existing(conn, campaign_id)
        contacts, total = conn.contacts_page(campaign, status, page, PAGE_SIZE)
    return {"contacts": contacts, "page": page, "page_size": PAGE_SIZE, "total": total}


def snapshot(database: Database, campaign_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Where a campaign stands: its status and how many contacts are in each state."""
    with database.read() as conn:
        campaign = _existing(conn, campaign_id)
        counts = dict.fromkeys(CONTACT_STATUSES, 0) | conn.status_counts(campaign_id)
        attempts = conn.attempts_made(campaign_id)
    return {
        "campaign_id": campaign_id,
        "status": campaign["status"],
        "total": campaign["contacts_total"],
        "counts": counts,
        "in_flight": counts["dialing"],
        "attempts": attempts,
        "at": clock.iso(now or clock.now()),
    }


def _existing(conn: Connection, campaign_id: str) -> dict[str, Any]:
    campaign = conn.get_campaign(campaign_id)
    if campaign is None:
        raise NotFound("Campaign not found")
    return campaign


def _check_budget(conn: Connection, campaign: dict[str, Any]) -> None:
    limit = call_limits_in(conn)["concurrent_max"]
    held = sum(
        c["max_concurrent_calls"] for c in conn.campaigns_in(HOLDS_BUDGET) if c["id"] != campaign["id"]
    )
    if held + campaign["max_concurrent_calls"] > limit:
        raise Conflict(
            f"concurrency budget exceeded: running and scheduled campaigns hold {held} of the"
            f" account's concurrent_max {limit}; this campaign needs {campaign['max_concurrent_calls']}"
        )


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
