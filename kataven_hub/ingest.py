"""CSV ingest: the contacts file of a campaign, decoded, checked and normalized to E.164."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import phonenumbers

from kataven_hub.errors import InvalidInput, TooLarge

MAX_CSV_BYTES = 10 * 1024 * 1024
MAX_REQUEST_BYTES = MAX_CSV_BYTES + 64 * 1024
"""The whole request: the file plus room for the other fields and the multipart framing."""
PHONE_COLUMN = "phone_number"
REPORTED_LINES = 5

Contact = tuple[str, dict[str, str]]
"""One contact: its E.164 number and its other columns."""


def parse_contacts(data: bytes, *, region: str = "US") -> list[Contact]:
    """Contacts of a CSV file, first row kept for a repeated number; InvalidInput names bad lines."""
    if len(data) > MAX_CSV_BYTES:
        raise TooLarge(f"contacts: {len(data)} bytes is over the limit of {MAX_CSV_BYTES}")
    rows = _rows(_decode(data))
    header = _header(next(rows, None))
    phone_at = header.index(PHONE_COLUMN)
    contacts: dict[str, dict[str, str]] = {}
    bad: list[str] = []
    bad_count = 0
    for line, row in rows:
        if len(row) != len(header):
            raise InvalidInput(
                f"contacts line {line}: {len(row)} fields, the header has {len(header)}"
            )
        raw = row[phone_at]
        number = normalize_number(raw, region)
        if number is None:
            bad_count += 1
            if len(bad) < REPORTED_LINES:
                bad.append(f"line {line}: {raw.strip()!r} is not a phone number")
            continue
        if number not in contacts:
            contacts[number] = {k: v for k, v in zip(header, row) if k != PHONE_COLUMN}
    if bad:
        more = bad_count - len(bad)
        raise InvalidInput("contacts " + "; ".join(bad) + (f" (and {more} more)" if more else ""))
    if not contacts:
        raise InvalidInput("contacts: the file has a header but no contact rows")
    return list(contacts.items())


def normalize_number(raw: str, region: str) -> str | None:
    """The E.164 form of a phone number, or None if phonenumbers finds it invalid."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _decode(data: bytes) -> str:
    if not data.strip():
        raise InvalidInput("contacts: the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput(f"contacts: not UTF-8 text (byte {err.start})") from None


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of every non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        for row in reader:
            if any(field.strip() for field in row):
                yield line, row
            line = reader.line_num + 1
    except csv.Error as err:
        raise InvalidInput(f"contacts line {line}: {err}") from None


def _header(first: tuple[int, list[str]] | None) -> list[str]:
    if first is None:
        raise InvalidInput("contacts: the file is empty")
    header = [name.strip() for name in first[1]]
    if PHONE_COLUMN not in header:
        raise InvalidInput(f"contacts: the header has no {PHONE_COLUMN!r} column")
    for position, name in enumerate(header, start=1):
        if not name:
            raise InvalidInput(f"contacts: header column {position} has no name")
        if header.count(name) > 1:
            raise InvalidInput(f"contacts: header column {name!r} appears more than once")
    return header
