"""What every PostgreSQL query class shares: a pooled connection used on behalf of one account
(None: the system's API keys), and statements whose first parameter is that account."""

from __future__ import annotations

from typing import Any

import psycopg


class Bound:
    """One use of a pooled connection for `account`; inside `write()`, one transaction holding the
    account's lock. `node` names the replica (the calls it places carry it)."""

    def __init__(self, conn: psycopg.Connection[Any], account: str | None, node: str = "") -> None:
        self.conn, self.account, self.node = conn, account, node

    def _all(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, [self.account, *params]).fetchall()

    def _one(self, sql: str, *params: Any) -> tuple[Any, ...] | None:
        return self.conn.execute(sql, [self.account, *params]).fetchone()

    def _run(self, sql: str, *params: Any) -> int:
        return self.conn.execute(sql, [self.account, *params]).rowcount
