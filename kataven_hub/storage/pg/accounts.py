"""An account's limits and the Idempotency-Keys of its creates, in the shared tables."""

from __future__ import annotations

from typing import Any

from kataven_hub.storage.pg.bound import Bound
from kataven_hub.storage.rows import LIMIT_FIELDS, present


class AccountQueries(Bound):
    """The bound account's limits and Idempotency-Keys."""

    def get_limits(self) -> dict[str, int] | None:
        row = self._one(f"SELECT {', '.join(LIMIT_FIELDS)} FROM account_limits WHERE account = %s")
        return None if row is None else present(LIMIT_FIELDS, row)

    def put_limits(self, limits: dict[str, int]) -> None:
        names = [f for f in LIMIT_FIELDS if f in limits]
        self._run(
            f"INSERT INTO account_limits (account, {', '.join(names)}) VALUES (%s, {', '.join(['%s'] * len(names))})"
            f" ON CONFLICT (account) DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in names)}",
            *(limits[n] for n in names),
        )

    def find_idempotency_key(self, key: str, since: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT fingerprint, answer, created_at FROM idempotency_keys"
            " WHERE account = %s AND key = %s AND created_at >= %s", key, since,
        )  # fmt: skip
        return None if row is None else dict(zip(("fingerprint", "answer", "created_at"), row))

    def claim_idempotency_key(self, key: str, fingerprint: str, answer: str, at: str, since: str) -> bool:
        self._run("DELETE FROM idempotency_keys WHERE account = %s AND created_at < %s", since)
        return self._run(
            "INSERT INTO idempotency_keys (account, key, fingerprint, answer, created_at) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING", key, fingerprint, answer, at,
        ) == 1  # fmt: skip
