"""Idempotent create (`Idempotency-Key`): a client that timed out may send its create again, to
this replica or another, and get the same campaign, stored once. The first request with a key
creates the campaign and, in the same transaction, records the key with a fingerprint of the
request (its form fields and its contacts file) and the answer it got. A request with a recorded
key and the same fingerprint gets that answer again; with another fingerprint it is refused
(`Unprocessable`, a 422) and creates nothing. Two requests with one key at once: the second to
commit finds the key taken, its transaction (campaign and contacts) is rolled back, and it answers
as the first did. Keys belong to the account and are kept `TTL` from their first use."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import timedelta
from typing import Any, BinaryIO

from kataven_hub import clock
from kataven_hub.campaigns.lifecycle import create_campaign
from kataven_hub.errors import Unprocessable
from kataven_hub.storage import Connection, Database

TTL = timedelta(hours=24)
_CHUNK = 1 << 20


@dataclasses.dataclass(frozen=True)
class Key:
    value: str
    fingerprint: str


class _Taken(Exception):
    """The key was recorded by another request while this one ingested its file."""


def create_keyed(database: Database, key: str | None, form: dict[str, Any], csv_file: BinaryIO,
                 **options: Any) -> tuple[dict[str, Any], bool]:  # fmt: skip
    """The create of an API request, under its Idempotency-Key if it sent one: (the campaign,
    whether the answer is a replay of an earlier one)."""
    if key is None:
        return create_campaign(database, form, csv_file, **options), False
    return create_once(database, key_for(key, form, csv_file), form, csv_file, **options)


def key_for(value: str, form: dict[str, Any], csv_file: BinaryIO) -> Key:
    """The key with the fingerprint of its request: the form fields and the file's bytes."""
    digest = hashlib.sha256(json.dumps({k: str(v) for k, v in form.items()}, sort_keys=True).encode())
    csv_file.seek(0)
    while chunk := csv_file.read(_CHUNK):
        digest.update(chunk)
    csv_file.seek(0)
    return Key(value, digest.hexdigest())


def create_once(database: Database, key: Key, form: dict[str, Any], csv_file: BinaryIO,
                **options: Any) -> tuple[dict[str, Any], bool]:  # fmt: skip
    """`create_campaign` under `key`: (the campaign, whether the answer is a replay)."""
    now = options.get("now") or clock.now()
    since = clock.iso(now - TTL)
    with database.read() as conn:
        found = conn.find_idempotency_key(key.value, since)
    if found is not None:
        return _replay(found, key), True

    def claim(conn: Connection, campaign: dict[str, Any]) -> None:
        if not conn.claim_idempotency_key(key.value, key.fingerprint, json.dumps(campaign), clock.iso(now), since):
            raise _Taken()

    try:
        return create_campaign(database, form, csv_file, claim=claim, **options), False
    except _Taken:
        with database.read() as conn:
            found = conn.find_idempotency_key(key.value, since)
        assert found is not None  # recorded by the request that took it, in a committed transaction
        return _replay(found, key), True


def _replay(found: dict[str, Any], key: Key) -> dict[str, Any]:
    if found["fingerprint"] != key.fingerprint:
        raise Unprocessable(
            f"Idempotency-Key {key.value!r} was used at {found['created_at']} for a different request:"
            " send a new key for a new request"
        )
    answer: dict[str, Any] = json.loads(found["answer"])
    return answer
