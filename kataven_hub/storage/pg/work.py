"""Which replica rounds which account: leases on `account_work` rows, and each replica's heartbeat.

A replica's `accounts()` (called once a dispatcher round) beats its heartbeat, renews the leases
it holds and claims unleased ones (`FOR UPDATE SKIP LOCKED`), up to its share: the accounts with
work divided by the live replicas, plus one. A lease is a schedule, not a guarantee: the
account's advisory lock keeps a round exact even if two replicas believe they hold it. A replica
that dies stops renewing; its leases lapse after LEASE seconds and another replica takes them."""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

from kataven_hub import switches
from kataven_hub.errors import HubError

if TYPE_CHECKING:
    from kataven_hub.storage.pg.db import PgBackend

log = logging.getLogger("kataven_hub.dispatch")
LEASE = 2.0
"""Seconds a lease lasts unless renewed; how soon a dead replica's accounts are taken over."""
RENEW_EVERY = 0.5
"""Seconds between a replica's renewals (and heartbeats)."""
NODE_TTL = 10.0
"""A replica whose heartbeat is older than this is dead: its calls never dialled are settled."""


class Leases:
    """The accounts with work, as one replica sees them: `accounts()` are those it holds."""

    def __init__(self, backend: PgBackend) -> None:
        self.backend = backend
        self.owned: list[str] = []
        self._changes: dict[str, int] = {}
        self._renewed_at = 0.0

    def accounts(self) -> list[str]:
        """Renew (every RENEW_EVERY seconds) and claim; the accounts this replica rounds now."""
        me = self.backend.node
        with self.backend.connection() as conn:
            if time.monotonic() - self._renewed_at >= RENEW_EVERY:
                self._renewed_at = time.monotonic()
                conn.execute(
                    "INSERT INTO nodes (id) VALUES (%s) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()", [me]
                )
                self.owned = [row[0] for row in conn.execute(
                    "UPDATE account_work SET lease_until = now() + make_interval(secs => %s)"
                    " WHERE leased_by = %s AND lease_until >= now() RETURNING account", [LEASE, me],
                )]  # fmt: skip
                self._release_excess(conn)
            free = conn.execute("SELECT 1 FROM account_work WHERE lease_until < now() LIMIT 1").fetchone()
            if free is not None:
                room = self._share(conn) - len(self.owned)
                if room > 0:
                    self.owned += [row[0] for row in conn.execute(
                        "UPDATE account_work SET lease_until = now() + make_interval(secs => %s), leased_by = %s"
                        " WHERE account IN (SELECT account FROM account_work WHERE lease_until < now()"
                        " ORDER BY account LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING account", [LEASE, me, room],
                    )]  # fmt: skip
            if not switches.IGNORE_LEASES:
                self._changes = dict(conn.execute(
                    "SELECT account, changes FROM account_work WHERE account = ANY(%s)", [self.owned]
                ).fetchall())  # fmt: skip
        if switches.IGNORE_LEASES:
            with self.backend.connection() as conn:
                return [row[0] for row in conn.execute("SELECT account FROM account_work ORDER BY account")]
        return sorted(self.owned)

    def changes(self, name: str) -> int | None:
        """The account's `changes` as read by the last `accounts()` (None: not held, or every
        replica rounds every account: `HUB_TEST_IGNORE_LEASES`)."""
        return self._changes.get(name)

    def _share(self, conn: object) -> int:
        """The accounts with work over the replicas that beat within a lease, plus one: a dead
        replica's share is taken over as soon as its leases lapse."""
        total, nodes = conn.execute(  # type: ignore[attr-defined]
            "SELECT (SELECT count(*) FROM account_work),"
            " (SELECT count(*) FROM nodes WHERE heartbeat_at > now() - make_interval(secs => %s))", [LEASE],
        ).fetchone()  # fmt: skip
        return math.ceil(total / max(1, nodes)) + 1

    def _release_excess(self, conn: object) -> None:
        """Hand back leases over this replica's share, so that one that joins gets work."""
        excess = len(self.owned) - self._share(conn)
        if excess > 0:
            dropped, self.owned = self.owned[-excess:], self.owned[:-excess]
            conn.execute(  # type: ignore[attr-defined]
                "UPDATE account_work SET lease_until = '-infinity', leased_by = NULL"
                " WHERE account = ANY(%s) AND leased_by = %s", [dropped, self.backend.node],
            )  # fmt: skip

    def forget_if_idle(self, name: str) -> bool:
        """Drop the account from `account_work` if it has no work, decided under its lock."""
        with self.backend.account(name) as database, database.write() as conn:
            if conn.has_work():
                return False
            conn.conn.execute("DELETE FROM account_work WHERE account = %s", [name])
        if name in self.owned:
            self.owned.remove(name)
        return True

    def check(self) -> int:
        """At start-up: nothing to rebuild (`account_work` is written in the transactions that
        give work); the replica announces itself."""
        with self.backend.connection() as conn:
            conn.execute("INSERT INTO nodes (id) VALUES (%s) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()",
                         [self.backend.node])  # fmt: skip
        return 0

    def leave(self) -> None:
        """On a clean stop: hand the leases back and leave the nodes at once."""
        try:
            with self.backend.connection() as conn:
                conn.execute("UPDATE account_work SET lease_until = '-infinity', leased_by = NULL WHERE leased_by = %s",
                             [self.backend.node])  # fmt: skip
                conn.execute("DELETE FROM nodes WHERE id = %s", [self.backend.node])
        except HubError:  # the database is away: the leases lapse by themselves
            log.info("could not hand back the leases; they lapse in %.0f s", LEASE)
        self.owned = []
