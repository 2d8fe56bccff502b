"""What moving an account's clock reads and writes (dev mode's control surface): how far it runs
ahead, and the next moment a round can change something."""

from __future__ import annotations

from kataven_hub.storage.pg.bound import Bound


class ClockQueries(Bound):
    """The bound account's clock, and when its next call, retry or window falls due."""

    def clock_ahead(self) -> float:
        row = self._one("SELECT clock_ahead FROM accounts WHERE account = %s")
        return float(row[0]) if row else 0.0

    def set_clock_ahead(self, seconds: float) -> None:
        self.conn.execute("UPDATE accounts SET clock_ahead = %s WHERE account = %s", [seconds, self.account])

    def next_due(self, after: str) -> str | None:
        row = self.conn.execute(
            "SELECT least((SELECT min(contacts.next_attempt_at) FROM contacts JOIN campaigns"
            " ON campaigns.account = contacts.account AND campaigns.id = contacts.campaign_id"
            " WHERE contacts.account = %(a)s AND campaigns.status = 'running' AND contacts.status = 'pending'"
            " AND contacts.next_attempt_at > %(after)s),"
            " (SELECT min(scheduled_at) FROM campaigns WHERE account = %(a)s AND status = 'scheduled'))",
            {"a": self.account, "after": after},
        ).fetchone()
        return row[0] if row else None

    def waiting(self, now: str) -> bool:
        return self._one(
            "SELECT 1 FROM contacts JOIN campaigns ON campaigns.account = contacts.account"
            " AND campaigns.id = contacts.campaign_id WHERE contacts.account = %s AND campaigns.status = 'running'"
            " AND contacts.status = 'pending' AND (contacts.next_attempt_at IS NULL OR contacts.next_attempt_at <= %s)"
            " LIMIT 1", now,
        ) is not None  # fmt: skip

    def first_started_since(self, since: str) -> str | None:
        row = self._one("SELECT min(started_at) FROM calls WHERE account = %s AND started_at > %s", since)
        return row[0] if row else None
