"""Campaigns and their contacts (written with `COPY`), in the shared tables: every statement
names its account."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import psycopg

from kataven_hub.storage.pg.bound import Bound
from kataven_hub.storage.rows import CAMPAIGN_FIELDS, CONTACT_FIELDS, contact, present

_SELECT_CAMPAIGN = f"SELECT {', '.join(CAMPAIGN_FIELDS)} FROM campaigns WHERE account = %s"
_SELECT_CONTACT = f"SELECT {', '.join(CONTACT_FIELDS)} FROM contacts WHERE account = %s"


class CampaignQueries(Bound):
    """Campaigns and contacts of the bound account."""

    def insert_campaign(self, campaign: dict[str, Any], contacts: Iterable[tuple[str, str]], *, columns: list[str]) -> None:
        """The campaign, and its contacts `pending` with consecutive ids, streamed with COPY."""
        first_id = self._one("SELECT coalesce(max(id), 0) + 1 FROM contacts WHERE account = %s")[0]  # type: ignore[index]
        row = {
            **{f: campaign[f] for f in CAMPAIGN_FIELDS if f in campaign},
            "first_contact_id": first_id,
            "custom_field_names": json.dumps(columns, ensure_ascii=False),
        }
        self._run(
            f"INSERT INTO campaigns (account, {', '.join(row)}) VALUES (%s, {', '.join(['%s'] * len(row))})",
            *row.values(),
        )
        _copy_contacts(self.conn, self.account or "", campaign, first_id, contacts)

    def get_campaign(self, campaign_id: str) -> dict[str, Any] | None:
        row = self._one(f"{_SELECT_CAMPAIGN} AND id = %s", campaign_id)
        return None if row is None else present(CAMPAIGN_FIELDS, row)

    def list_campaigns(self) -> list[dict[str, Any]]:
        rows = self._all(f"{_SELECT_CAMPAIGN} ORDER BY created_at DESC, seq DESC")
        return [present(CAMPAIGN_FIELDS, row) for row in rows]

    def campaigns_in(self, statuses: Iterable[str]) -> list[dict[str, Any]]:
        rows = self._all(f"{_SELECT_CAMPAIGN} AND status = ANY(%s)", list(statuses))
        return [present(CAMPAIGN_FIELDS, row) for row in rows]

    def update_campaign(self, campaign_id: str, expected_status: str, **changes: Any) -> bool:
        assignments = ", ".join(f"{field} = %s" for field in changes)
        return self.conn.execute(
            f"UPDATE campaigns SET {assignments} WHERE account = %s AND id = %s AND status = %s",
            [*changes.values(), self.account, campaign_id, expected_status],
        ).rowcount == 1

    def delete_campaign(self, campaign_id: str) -> None:
        self._run("DELETE FROM contacts WHERE account = %s AND campaign_id = %s", campaign_id)
        self._run("DELETE FROM campaigns WHERE account = %s AND id = %s", campaign_id)

    def delete_everything(self) -> int:
        count = self._one("SELECT count(*) FROM campaigns WHERE account = %s")[0]  # type: ignore[index]
        for table in ("calls", "contacts", "campaigns", "mock_resources", "idempotency_keys"):
            self._run(f"DELETE FROM {table} WHERE account = %s")
        self._run("UPDATE accounts SET clock_ahead = 0 WHERE account = %s")
        return int(count)

    def skip_pending(self, campaign_id: str) -> None:
        self._run(
            "UPDATE contacts SET status = 'skipped', next_attempt_at = NULL"
            " WHERE account = %s AND campaign_id = %s AND status = 'pending'",
            campaign_id,
        )

    def contacts_page(
        self, campaign: dict[str, Any], status: str | None, page: int, size: int
    ) -> tuple[list[dict[str, Any]], int]:
        first, names = self._one(  # type: ignore[misc]
            "SELECT first_contact_id, custom_field_names FROM campaigns WHERE account = %s AND id = %s", campaign["id"]
        )
        columns = json.loads(names)
        if status is None:
            start = first + page * size
            rows = self._all(
                f"{_SELECT_CONTACT} AND id >= %s AND id < %s AND campaign_id = %s ORDER BY id",
                start, start + size, campaign["id"],
            )  # fmt: skip
            return [contact(row, columns) for row in rows], campaign["contacts_total"]
        where = "account = %s AND campaign_id = %s AND status = %s"
        total = self._one(f"SELECT count(*) FROM contacts WHERE {where}", campaign["id"], status)[0]  # type: ignore[index]
        start_row = self._one(
            f"SELECT id FROM contacts WHERE {where} ORDER BY id LIMIT 1 OFFSET %s", campaign["id"], status, page * size
        )
        if start_row is None:
            return [], total
        rows = self._all(
            f"{_SELECT_CONTACT} AND campaign_id = %s AND status = %s AND id >= %s ORDER BY id LIMIT %s",
            campaign["id"], status, start_row[0], size,
        )  # fmt: skip
        return [contact(row, columns) for row in rows], total

    def status_counts(self, campaign_id: str) -> dict[str, int]:
        rows = self._all(
            "SELECT status, count(*) FROM contacts WHERE account = %s AND campaign_id = %s GROUP BY status", campaign_id
        )
        return {status: int(n) for status, n in rows}

    def attempts_made(self, campaign_id: str) -> int:
        return int(self._one("SELECT count(*) FROM calls WHERE account = %s AND campaign_id = %s", campaign_id)[0])  # type: ignore[index]


COPY_BATCH = 10_000
"""Contact rows written to COPY at once, as text in its format (not row by row)."""
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_contacts(
    conn: psycopg.Connection[Any], account: str, campaign: dict[str, Any], first_id: int,
    contacts: Iterable[tuple[str, str]],
) -> None:  # fmt: skip
    """The campaign's contacts `pending`, ids from `first_id`, written to COPY in batches of text."""
    with conn.cursor().copy(
        "COPY contacts (account, id, campaign_id, phone_number, custom_fields, status, attempts, created_at)"
        " FROM STDIN"
    ) as copy:
        head, tail = f"{_copy_text(account)}\t", f"\t{_copy_text(campaign['id'])}\t"
        end = f"\tpending\t0\t{_copy_text(campaign['created_at'])}\n"
        lines: list[str] = []
        for n, (number, fields) in enumerate(contacts):
            lines.append(f"{head}{first_id + n}{tail}{_copy_text(number)}\t{_copy_text(fields)}{end}")
            if len(lines) == COPY_BATCH:
                copy.write("".join(lines).encode())
                lines.clear()
        if lines:
            copy.write("".join(lines).encode())


def _copy_text(value: str) -> str:
    """A value in COPY's text format: backslash, tab, newline and carriage return escaped."""
    return value.translate(_COPY_ESCAPES)
