"""The campaign state machine: the statuses, which operation moves a campaign from which status to
which, and `move`, the one function that changes a campaign's status, with the timestamps that go
with the move. The API's operations and the dispatcher both go through it.

    draft ─────── start ──▶ running, or scheduled while scheduled_at is ahead
    scheduled ─── start ──▶ running (its time has come)      begin (dispatcher) ──▶ running
    running ───── pause ──▶ paused ───── resume ──▶ running
    scheduled, running, paused ── stop ──▶ completed
    running ──── finish (dispatcher: nothing left) ──▶ completed
    running ──── fail (dispatcher: the carrier refused the campaign) ──▶ failed
    draft ─────── delete ──▶ gone

`started_at` is set on the first move to running, `completed_at` on the move to a terminal status.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from kataven_hub import clock
from kataven_hub.errors import Conflict
from kataven_hub.storage import Connection


class Status(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"


TERMINAL = (Status.COMPLETED, Status.FAILED)
HOLDS_BUDGET = (Status.RUNNING, Status.SCHEDULED)
"""The statuses whose `max_concurrent_calls` count against the account's `concurrent_max`."""

TRANSITIONS: dict[str, tuple[tuple[Status, ...], tuple[str, ...]]] = {
    # operation: (from, to)
    "start": ((Status.DRAFT, Status.PAUSED, Status.SCHEDULED), (Status.RUNNING, Status.SCHEDULED)),
    "pause": ((Status.RUNNING,), (Status.PAUSED,)),
    "resume": ((Status.PAUSED,), (Status.RUNNING,)),
    "stop": ((Status.SCHEDULED, Status.RUNNING, Status.PAUSED), (Status.COMPLETED,)),
    "delete": ((Status.DRAFT,), ("deleted",)),
    "begin": ((Status.SCHEDULED,), (Status.RUNNING,)),
    "finish": ((Status.RUNNING,), (Status.COMPLETED,)),
    "fail": ((Status.RUNNING,), (Status.FAILED,)),
}


def allows(campaign: dict[str, Any], operation: str) -> bool:
    """Whether `operation` may move the campaign from its status."""
    return campaign["status"] in TRANSITIONS[operation][0]


def check(campaign: dict[str, Any], operation: str, target: str) -> None:
    """Conflict, saying which statuses `operation` moves, unless it may move this campaign to `target`."""
    sources, targets = TRANSITIONS[operation]
    assert target in targets, f"{operation} never moves a campaign to {target}"
    if campaign["status"] not in sources:
        named = " or ".join(f"'{s}'" for s in sources)
        raise Conflict(
            f"cannot {operation} campaign in status '{campaign['status']}':"
            f" {operation} moves {named} to '{target}'"
        )


def move(conn: Connection, campaign: dict[str, Any], operation: str, target: Status, now: datetime) -> dict[str, Any]:
    """The campaign moved by `operation` to `target` and stored; Conflict if it may not be."""
    check(campaign, operation, target)
    changes: dict[str, Any] = {"status": target.value}
    if target is Status.RUNNING and "started_at" not in campaign:
        changes["started_at"] = clock.iso(now)
    if target in TERMINAL:
        changes["completed_at"] = clock.iso(now)
    conn.update_campaign(campaign["id"], campaign["status"], **changes)
    return {**campaign, **changes}


def start_order(campaign: dict[str, Any]) -> tuple[str, str]:
    """Oldest start first (a campaign not started yet by when it was created): the order in which
    the dispatcher serves running campaigns."""
    return (campaign.get("started_at") or campaign["created_at"], campaign["id"])
