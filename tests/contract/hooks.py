"""Schemathesis hooks: make generated positive data really valid, never make negative data valid.

Schemathesis fills a `format: binary` field with random files (PNG, ZIP, empty), which the server
rightly refuses. The hook puts a valid CSV in every file field, moves a valid but past
`scheduled_at` into the future, and makes a valid X-Account-ID name the key's account (any other
account is a 403). It only ever replaces a value the schema accepts with another value the schema
accepts, so a negative case stays negative.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone

import schemathesis
from rfc3339_validator import validate_rfc3339
from schemathesis.transport.serialization import Binary

CONTACTS_CSV = (
    b"phone_number,first_name,plan\r\n"
    b"+14155552671,Ada,gold\r\n"
    b'"(415) 555-2672","Grace ""G"" Hopper",silver\r\n'
    b"+442079460958,Alan,\r\n"
)
ACCOUNT = os.environ.get("HUB_CONTRACT_ACCOUNT", "contract")
ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


@schemathesis.hook
def map_case(ctx: object, case: schemathesis.Case) -> schemathesis.Case:
    if isinstance(case.body, dict):
        if isinstance(case.body.get("contacts"), Binary):
            case.body["contacts"] = Binary(CONTACTS_CSV)
        scheduled_at = case.body.get("scheduled_at")
        if isinstance(scheduled_at, str) and _valid_but_past(scheduled_at):
            case.body["scheduled_at"] = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    account = (case.headers or {}).get("X-Account-ID")
    if isinstance(account, str) and ACCOUNT_NAME.fullmatch(account):
        case.headers["X-Account-ID"] = ACCOUNT  # type: ignore[index]
    return case


def _valid_but_past(value: str) -> bool:
    if not validate_rfc3339(value):
        return False
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        return False
    return moment.astimezone(timezone.utc) <= datetime.now(timezone.utc) + timedelta(minutes=5)
