"""Schemathesis hooks: make generated positive data really valid, never make negative data valid.

Schemathesis fills a `format: binary` field with random files (PNG, ZIP, empty), which the server
rightly refuses. The hook puts a valid CSV in the file field of a positive case, moves a valid but past
`scheduled_at` into the future, and makes a valid X-Account-ID name the key's account (any other
account is a 403), and makes a valid Idempotency-Key unique to its case. It only ever replaces a value the schema accepts with another value the schema
accepts, so a negative case stays negative.

In the stateful phase a positive create is not scheduled, so that the campaign it makes starts
`running` and its scenario can go on to pause, resume and stop it (dropping an optional field
keeps a positive case positive).

One rule the schema cannot say: an optional form field sent empty is a field not given (an HTML
form sends blank fields as `name=`; the spec's create description says so). In a negative case,
such an empty value becomes a non-empty invalid one, so the case stays negative.

A file field of a negative multipart case that holds a number, a boolean or an object goes out as a
file of that value's text, which is a file like any other: no server can see that negation. The
field is left out instead (a missing required file stays negative; Schemathesis judges the case as
sent, and a body with nothing else wrong is then valid to it too).
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import MutableMapping
from datetime import datetime, timedelta, timezone
from typing import Any

import schemathesis
from rfc3339_validator import validate_rfc3339
from schemathesis.core.parameters import ParameterLocation
from schemathesis.transport.serialization import Binary

CONTACTS_CSV = (
    b"phone_number,first_name,plan\r\n"
    b"+14155552671,Ada,gold\r\n"
    b'"(415) 555-2672","Grace ""G"" Hopper",silver\r\n'
    b"+442079460958,Alan,\r\n"
)
ACCOUNT = os.environ.get("HUB_CONTRACT_ACCOUNT", "contract")

ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
CASES = itertools.count(1)
"""Numbers the valid Idempotency-Keys of the generated cases: the same key sent with two different
generated requests would rightly be a 422, which a positive case must not meet."""
OPTIONAL_FORM_FIELDS = {"max_concurrent_calls", "retries_per_contact", "retry_delay_seconds", "scheduled_at"}


@schemathesis.hook
def map_case(ctx: object, case: schemathesis.Case) -> schemathesis.Case:
    if isinstance(case.body, dict):
        negative = _negative_body(case)
        if isinstance(case.body.get("contacts"), Binary) and not negative:  # a negative file stays
            case.body["contacts"] = Binary(CONTACTS_CSV)
        if _stateful(case) and not negative:
            case.body.pop("scheduled_at", None)
        scheduled_at = case.body.get("scheduled_at")
        if isinstance(scheduled_at, str) and _valid_but_past(scheduled_at):
            case.body["scheduled_at"] = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
        if negative:
            for field in _unseen_files(case):
                del case.body[field]
            for field in OPTIONAL_FORM_FIELDS & {k for k, v in case.body.items() if _sent_empty(v)}:
                case.body[field] = "-"
    headers: MutableMapping[str, Any] = case.headers if case.headers is not None else {}
    account = headers.get("X-Account-ID")
    if isinstance(account, str) and ACCOUNT_NAME.fullmatch(account):
        headers["X-Account-ID"] = ACCOUNT
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key):  # a valid key, unique to this case
        headers["Idempotency-Key"] = f"{key[:200]}-{next(CASES)}"
    return case


@schemathesis.hook
def after_call(ctx: object, case: schemathesis.Case, response: Any) -> None:
    """Every answer, one JSON line, where `hub contract` asks (HUB_CONTRACT_RECORD)."""
    if path := os.environ.get("HUB_CONTRACT_RECORD"):
        with open(path, "a") as record:
            sent = f"{case.method.upper()} {case.operation.path}"  # 405 probes send other methods
            record.write(json.dumps({"operation": sent, "status": response.status_code}) + "\n")


def _unseen_files(case: schemathesis.Case) -> list[str]:
    """The file fields of a multipart body holding a value that is no file (sent as its text)."""
    if case.media_type != "multipart/form-data" or not isinstance(case.body, dict):
        return []
    body = case.operation.get_body_for_media_type(case.media_type)
    fields = (body.optimized_schema if body is not None else {}).get("properties") or {}
    return [name for name, value in case.body.items() if _is_file(fields.get(name))
            and not isinstance(value, (Binary, bytes, str, list))]  # fmt: skip


def _is_file(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("format") == "binary" or "contentMediaType" in schema)


def _sent_empty(value: object) -> bool:
    """Whether a form value goes out as an empty part (or parts): `""`, `None`, `[None, ""]`."""
    if isinstance(value, list):
        return all(_sent_empty(v) for v in value)
    return value is None or value == ""


def _stateful(case: schemathesis.Case) -> bool:
    meta = _generated(case)
    return meta is not None and meta.phase.name == "stateful"


def _negative_body(case: schemathesis.Case) -> bool:
    """Negative as a whole or in its body: either way the hook must not make it valid."""
    meta = _generated(case)
    if meta is None:
        return False
    component = meta.components.get(ParameterLocation.BODY)
    return meta.generation.mode.is_negative or (component is not None and component.mode.is_negative)


def _generated(case: schemathesis.Case) -> Any:
    """How the case was generated, read without `case.meta`: that property re-validates the body
    against the schema, and a body holding a file (`Binary`) never validates there, so reading it
    would turn every positive create negative."""
    return case._meta


def _valid_but_past(value: str) -> bool:
    if not validate_rfc3339(value):
        return False
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        return False
    return moment.astimezone(timezone.utc) <= datetime.now(timezone.utc) + timedelta(minutes=5)
