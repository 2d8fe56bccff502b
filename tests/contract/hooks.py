"""Schemathesis hooks: make positive cases of the create operation really valid.

Schemathesis fills a `format: binary` field with random files (PNG, ZIP, empty), which the server
rightly refuses; for a positive body we put a valid CSV there, move a past `scheduled_at` into the
future and send the account the credential belongs to, so positive cases must be accepted (201).
Negative cases are left exactly as generated.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.transport.serialization import Binary

CONTACTS_CSV = (
    b"phone_number,first_name,plan\r\n"
    b"+14155552671,Ada,gold\r\n"
    b'"(415) 555-2672","Grace ""G"" Hopper",silver\r\n'
    b"+442079460958,Alan,\r\n"
)
ACCOUNT = os.environ.get("HUB_CONTRACT_ACCOUNT", "contract")


@schemathesis.hook("map_case").apply_to(operation_id="postApiV1Campaigns")
def valid_campaign_form(ctx: object, case: schemathesis.Case) -> schemathesis.Case:
    body = case.body
    if case.meta is None or not isinstance(body, dict):
        return case
    if _positive(case, ParameterLocation.BODY):
        if "contacts" in body:
            body["contacts"] = Binary(CONTACTS_CSV)
        if "scheduled_at" in body and _in_past(body["scheduled_at"]):
            body["scheduled_at"] = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    if case.headers and "X-Account-ID" in case.headers:
        if _positive(case, ParameterLocation.HEADER):
            case.headers["X-Account-ID"] = ACCOUNT
    return case


def _positive(case: schemathesis.Case, location: ParameterLocation) -> bool:
    assert case.meta is not None
    return case.meta.generation.mode.is_positive and not case.meta.is_negative_at(location)


def _in_past(value: object) -> bool:
    try:
        moment = datetime.fromisoformat(str(value).upper())
        return moment.astimezone(timezone.utc) <= datetime.now(timezone.utc) + timedelta(minutes=5)
    except (ValueError, OverflowError):
        return False
