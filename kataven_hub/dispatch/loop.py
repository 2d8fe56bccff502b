"""The dispatcher: dials every running campaign's contacts within its limits, with retries.

All state is in the databases; `tick(now)` does one round over the accounts in the index of
accounts with work, and can be driven from a test with a fixed clock; `run_forever` ticks it
while the server runs. What one round in one account does is `dispatch.round`; where the backend
can (PostgreSQL), up to TOGETHER accounts are rounded in one transaction (`tick_accounts`).

With `account_clocks` (dev mode), an account's clock may run ahead of the machine's
(`dispatch.clocks`): `advance` moves it forward, and every later round of the account runs at the
account's time. While one account's clock moves, the background rounds leave that account alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

import anyio.to_thread

from kataven_hub import clock, switches
from kataven_hub.dispatch.clocks import AccountClocks
from kataven_hub.dispatch.dialer import Dialer
from kataven_hub.dispatch.round import Worked, run_round, run_rounds
from kataven_hub.errors import HubError
from kataven_hub.storage import Backend, Database

log = logging.getLogger(__name__)
TOGETHER = 64
"""At most this many accounts' rounds share a transaction: each holds its accounts' locks until
it commits, so a request's write in one of them waits at most for one such transaction."""


class Dispatcher:
    def __init__(self, stores: Backend, dialer: Dialer, *, time_scale: float = 1.0, interval: float = 0.1,
                 account_clocks: bool = False) -> None:  # fmt: skip
        self.stores = stores
        self.dialer = dialer
        self.time_scale = time_scale
        self.interval = timedelta(seconds=interval)
        self.account_clocks = account_clocks
        self.clocks = AccountClocks(stores, dialer, time_scale, self.interval, enabled=account_clocks)
        self._quiet: dict[str, tuple[datetime, int]] = {}  # account: (quiet until, its changes then)

    def tick(self, now: datetime) -> None:
        """One round over the accounts in the index of accounts with work; one with no work left
        leaves the index. The other accounts cost nothing, however many there are, and so does
        an account that is quiet (`_is_quiet`)."""
        try:
            accounts = self.stores.work.accounts()
        except HubError:  # the database is away: the fault is logged where it was met; the next round retries
            return
        self._quiet = {account: self._quiet[account] for account in accounts if account in self._quiet}
        due = [account for account in accounts if not self._is_quiet(account, now)]
        for first in range(0, len(due), TOGETHER):
            self.tick_accounts(due[first : first + TOGETHER], now)

    def _is_quiet(self, account: str, now: datetime) -> bool:
        """Left alone this time: its last round here found that only a call ending could change
        it before some moment (`Worked.quiet_until`), that moment has not come, and nothing was
        marked since (`WorkIndex.changes`). Only where the index counts changes (PostgreSQL); an
        account that went to another replica and came back is rounded at once."""
        quiet = self._quiet.get(account)
        return quiet is not None and now < quiet[0] and self.stores.work.changes(account) == quiet[1]

    def tick_accounts(self, accounts: list[str], now: datetime) -> None:
        """The accounts' rounds in one transaction where the backend can (`Backend.write_many`),
        else one at a time. If the shared round fails, each account is rounded on its own, so that
        one broken account stops only itself."""
        together = None if self.account_clocks else self.stores.write_many(accounts)
        if together is None:
            for account in accounts:
                self._round_in(account, now)
            return
        for account in accounts:
            self._quiet.pop(account, None)
        try:
            done = run_rounds(self.stores, together, self.dialer, now, time_scale=self.time_scale)
        except HubError:  # the database is away: the fault is logged where it was met; the next round retries
            return
        except Exception:
            log.exception("dispatch round over %d accounts failed; rounding them one at a time", len(accounts))
            for account in accounts:
                self._round_in(account, now)
            return
        for account, worked in done.items():
            try:
                self._after(account, worked)
            except HubError:
                pass

    def _round_in(self, account: str, now: datetime) -> None:
        moving = self.clocks.moving.get(account)
        if moving is not None and not moving.acquire(blocking=False):
            return  # its clock is being moved: `advance` runs its rounds
        self._quiet.pop(account, None)
        try:
            with self.stores.account(account) as database:
                worked = self.tick_account(database, now + self.ahead(database) if self.account_clocks else now)
            self._after(account, worked)
        except HubError:  # a machine fault (a full disk, ...): `storage.faults` logged it; the next round retries
            pass
        except Exception:  # one broken account must not stop the others
            log.exception("dispatch round failed in account %s", account)
        finally:
            if moving is not None:
                moving.release()

    def _after(self, account: str, worked: Worked | None) -> None:
        """An account with nothing to do leaves the index; one that is quiet is left alone."""
        if not worked:
            self.stores.work.forget_if_idle(account)
        changes = self.stores.work.changes(account)
        if worked and worked.quiet_until and changes is not None and not self.account_clocks:
            self._quiet[account] = (worked.quiet_until, changes)

    def ahead(self, database: Database) -> timedelta:
        """How far the account's clock runs ahead of the machine's (`AccountClocks`)."""
        return self.clocks.ahead(database)

    def advance(self, account: str, seconds: float) -> tuple[datetime, int]:
        """Move the account's clock `seconds` forward (`AccountClocks.advance`)."""
        return self.clocks.advance(account, seconds)

    def recover(self) -> None:
        """At start-up, before the first round: the index of accounts with work made exact."""
        read = self.stores.work.check()
        if read:
            log.info("built the index of accounts with work from all %d accounts (once)", read)

    def tick_account(self, database: Database, now: datetime) -> Worked | None:
        """One round in one account; None if it had nothing to do."""
        return run_round(database, self.dialer, now, time_scale=self.time_scale)


async def run_forever(dispatcher: Dispatcher, interval: float) -> None:
    """Tick every `interval` seconds until cancelled; a failing round is logged, not fatal."""
    while True:
        began = time.perf_counter()
        try:
            await anyio.to_thread.run_sync(dispatcher.tick, clock.now())
        except Exception:
            log.exception("dispatch round failed; retrying")
        switches.round_took(time.perf_counter() - began)
        await asyncio.sleep(interval)
