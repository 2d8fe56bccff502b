"""The floor of target 1: the obvious pipeline, in-process, one core.

csv.DictReader; phonenumbers parse + is_valid_number + format_number for every row; one SQLite
transaction with a raw executemany into a WAL database with the project's own schema and index."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from pathlib import Path

import phonenumbers

from kataven_hub.storage import Stores


def naive_create(data: bytes, region: str = "US") -> float:
    """Seconds the naive pipeline takes for one file, into a fresh account database."""
    with tempfile.TemporaryDirectory() as tmp, Stores(Path(tmp)) as stores, stores.account("naive") as database:
        started = time.perf_counter()
        contacts: dict[str, str] = {}
        for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")):
            raw = row.pop("phone_number")
            number = phonenumbers.parse(raw, region)
            if not phonenumbers.is_valid_number(number):
                raise ValueError(raw)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            contacts.setdefault(e164, json.dumps(row))
        with database.write() as db:
            db.execute(
                "INSERT INTO campaigns (id, name, agent_id, phone_number_id, status, created_at,"
                " created_by) VALUES ('c', 'n', 'a', 'p', 'draft', 'now', 'bench')"
            )
            db.conn.executemany(
                "INSERT INTO contacts (campaign_id, phone_number, custom_fields, status, attempts)"
                " VALUES ('c', ?, ?, 'pending', 0)",
                contacts.items(),
            )
        return time.perf_counter() - started
