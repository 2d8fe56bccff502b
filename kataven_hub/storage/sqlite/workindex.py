"""The index of accounts with work, in system.db: the accounts the dispatcher visits. It is written
inside the account's own transaction before it commits, so a crash can leave it too wide, never
too narrow; an account leaves it when a round finds it idle, decided under its write lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kataven_hub.storage.sqlite.dispatch import has_work

if TYPE_CHECKING:
    from kataven_hub.storage.sqlite.stores import Stores


class WorkIndex:
    """The accounts with work, kept beside the databases of `stores`."""

    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    def mark(self, name: str) -> None:
        """Put the account in the index (a no-op write avoided when it is there)."""
        with self.stores.system.read() as conn:
            if conn.execute("SELECT 1 FROM accounts_with_work WHERE account = ?", [name]).fetchone():
                return
        with self.stores.system.write() as conn:
            conn.execute("INSERT OR IGNORE INTO accounts_with_work (account) VALUES (?)", [name])

    def accounts(self) -> list[str]:
        with self.stores.system.read() as conn:
            return [row[0] for row in conn.execute("SELECT account FROM accounts_with_work ORDER BY account")]

    def forget_if_idle(self, name: str) -> bool:
        """Drop an account from the index if it has no work, deciding under its write lock, so
        that no start can slip in between; whether it was dropped."""
        with self.stores.account(name) as database, database.write() as conn:
            if has_work(conn):
                return False
            self._drop(name)
            return True

    def changes(self, name: str) -> None:
        return None  # one process: every account with work is rounded every time

    def check(self) -> int:
        """At start-up: drop what a crash left in the index (an account whose write never
        committed, or whose file is gone), reading only the indexed accounts; on a data directory
        that has no index yet, build it once from every account. How many accounts were read to
        build it (0 when it was there)."""
        with self.stores.system.read() as conn:
            built = conn.execute("SELECT value FROM hub_state WHERE key = 'work_index'").fetchone()
        names = [] if built else self.stores.account_names()
        for name in names:
            with self.stores.account(name) as database, database.read() as conn:
                if has_work(conn):
                    self.mark(name)
        if not built:
            self.mark_built()
        for name in self.accounts():
            if not self.stores.has_account(name):
                self._drop(name)
            else:
                self.forget_if_idle(name)
        return len(names)

    def mark_built(self) -> None:
        with self.stores.system.write() as conn:
            conn.execute("INSERT OR REPLACE INTO hub_state (key, value) VALUES ('work_index', 'built')")

    def _drop(self, name: str) -> None:
        with self.stores.system.write() as conn:
            conn.execute("DELETE FROM accounts_with_work WHERE account = ?", [name])
