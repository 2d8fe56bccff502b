"""After a round commits: the calls it recorded are dialled, and a campaign the carrier refuses
fails. Only committed calls are ever dialled (`dispatch.round`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from kataven_hub import clock, switches
from kataven_hub.campaigns.states import Status, allows, move
from kataven_hub.dispatch.dialer import Call, Dialer
from kataven_hub.storage import Backend, Connection

log = logging.getLogger(__name__)


def dial_committed(
    dialer: Dialer, placed: list[Call], now: datetime, write: Callable[[str], AbstractContextManager[Connection]]
) -> set[str]:
    """Dial the calls a committed round recorded; a campaign the carrier refuses fails (in a
    write of its account, `write(account)`). The accounts with a refused campaign."""
    if not placed:
        return set()
    switches.placed_and_committed()
    rejected = dialer.dial_all(placed, now)
    for call in placed:
        if call.campaign_id in rejected:
            with write(call.account) as conn:
                _reject(conn, call, rejected[call.campaign_id], now)
    return {call.account for call in placed if call.campaign_id in rejected}


@contextmanager
def write_in(stores: Backend, account: str) -> Iterator[Connection]:
    """A write of the account, for a refusal found after a round over several accounts."""
    with stores.account(account) as database, database.write() as conn:
        yield conn


def _reject(conn: Connection, call: Call, reason: str, now: datetime) -> None:
    """The carrier refused the campaign: the attempt fails, and so does the campaign if it still runs."""
    conn.finish_calls([(clock.iso(now), "failed", 0.0, call.session_id)])
    conn.settle_contacts([("failed", "failed", None, call.contact_id)])
    campaign = conn.get_campaign(call.campaign_id)
    if campaign is not None and allows(campaign, "fail"):
        move(conn, campaign, "fail", Status.FAILED, now)
        log.warning("campaign %s failed: %s", call.campaign_id, reason)
    conn.skip_pending(call.campaign_id)
