"""The dispatcher: dials every running campaign's contacts within its limits, with retries.

All state is in the databases; `tick(now)` does one round over the accounts in the index of
accounts with work, and can be driven from a test with a fixed clock; `run_forever` ticks it
while the server runs. What one round in one account does is `dispatch.round`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import anyio.to_thread

from kataven_hub import clock
from kataven_hub.dispatch.dialer import Dialer
from kataven_hub.dispatch.round import run_round
from kataven_hub.storage import Database, Stores

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, stores: Stores, dialer: Dialer, *, time_scale: float = 1.0) -> None:
        self.stores = stores
        self.dialer = dialer
        self.time_scale = time_scale

    def tick(self, now: datetime) -> None:
        """One round over the accounts in the index of accounts with work; one with no work left
        leaves the index. The other accounts cost nothing, however many there are."""
        for account in self.stores.work.accounts():
            self._round_in(account, now)

    def _round_in(self, account: str, now: datetime) -> None:
        try:
            with self.stores.account(account) as database:
                worked = self.tick_account(database, now)
            if not worked:
                self.stores.work.forget_if_idle(account)
        except Exception:  # one broken account must not stop the others
            log.exception("dispatch round failed in account %s", account)

    def recover(self) -> None:
        """At start-up, before the first round: the index of accounts with work made exact."""
        read = self.stores.work.check()
        if read:
            log.info("built the index of accounts with work from all %d accounts (once)", read)

    def tick_account(self, database: Database, now: datetime) -> bool:
        """One round in one account; False if it had nothing to do."""
        return run_round(database, self.dialer, now, time_scale=self.time_scale)


async def run_forever(dispatcher: Dispatcher, interval: float) -> None:
    """Tick every `interval` seconds until cancelled; a failing round is logged, not fatal."""
    while True:
        try:
            await anyio.to_thread.run_sync(dispatcher.tick, clock.now())
        except Exception:
            log.exception("dispatch round failed; retrying")
        await asyncio.sleep(interval)
