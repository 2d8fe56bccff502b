"""What the mock remembers, and the API keys, in the shared tables."""

from __future__ import annotations

import json
from typing import Any

from kataven_hub.storage.pg.bound import Bound
from kataven_hub.storage.rows import KEY_FIELDS


class RememberedQueries(Bound):
    """The resources the mock keeps for the bound account."""

    def next_number(self) -> int:
        return int(self._one("SELECT coalesce(max(seq), 0) + 1 FROM mock_resources WHERE account = %s")[0])  # type: ignore[index]

    def put_resource(self, collection: str, resource_id: str, body: dict[str, Any]) -> str:
        text = json.dumps(body)
        self.conn.execute(
            "INSERT INTO mock_resources (account, collection, id, seq, body) VALUES (%(a)s, %(c)s, %(i)s,"
            " (SELECT coalesce(max(seq), 0) + 1 FROM mock_resources WHERE account = %(a)s), %(b)s)"
            " ON CONFLICT (account, collection, id) DO UPDATE SET body = excluded.body",
            {"a": self.account, "c": collection, "i": resource_id, "b": text},
        )
        return text

    def get_resource(self, collection: str, resource_id: str) -> str | None:
        row = self._one("SELECT body FROM mock_resources WHERE account = %s AND collection = %s AND id = %s", collection, resource_id)
        return None if row is None else str(row[0])

    def list_resources(self, collection: str, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        rows = self._all(
            "SELECT body FROM mock_resources WHERE account = %s AND collection = %s ORDER BY seq LIMIT %s OFFSET %s",
            collection, limit, offset,
        )  # fmt: skip
        total = self._one("SELECT count(*) FROM mock_resources WHERE account = %s AND collection = %s", collection)[0]  # type: ignore[index]
        return [json.loads(body) for (body,) in rows], int(total)

    def resource_collections(self) -> list[str]:
        return [str(c) for (c,) in self._all("SELECT DISTINCT collection FROM mock_resources WHERE account = %s ORDER BY collection")]

    def delete_resource(self, collection: str, resource_id: str) -> bool:
        return self._run("DELETE FROM mock_resources WHERE account = %s AND collection = %s AND id = %s", collection, resource_id) == 1


class KeyQueries(Bound):
    """API-key records (the system's: no account)."""

    def insert_key(self, key: dict[str, Any]) -> None:
        names = list(key)
        self.conn.execute(
            f"INSERT INTO api_keys ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})", list(key.values())
        )

    def find_key(self, key_hash: str) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys WHERE hash = %s", [key_hash]).fetchone()
        return None if row is None else dict(zip(KEY_FIELDS, row))

    def list_keys(self, account: str | None) -> list[dict[str, Any]]:
        where, params = ("WHERE account = %s", [account]) if account else ("", [])
        rows = self.conn.execute(f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys {where} ORDER BY created_at, id", params)
        return [dict(zip(KEY_FIELDS, row)) for row in rows]

    def revoke_key(self, key_id: str, now: str) -> bool:
        return self.conn.execute(
            "UPDATE api_keys SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL", [now, key_id]
        ).rowcount == 1
