"""CSV ingest: the contacts file of a campaign, decoded, checked, its numbers normalized to E.164
(`numbers`), large files in batches on a pool of worker processes."""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import itertools
import json
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import BinaryIO, TextIO

from kataven_hub.campaigns.numbers import normalize_number, warm_up
from kataven_hub.campaigns.workers import collector_paused, ingest_pool, window_map
from kataven_hub.errors import InvalidInput, TooLarge

MAX_CSV_BYTES = 10 * 1024 * 1024
MAX_REQUEST_BYTES = MAX_CSV_BYTES + 64 * 1024
"""The whole request: the file plus room for the other fields and the multipart framing."""
PHONE_COLUMN = "phone_number"
REPORTED_LINES = 5
MAX_COLUMNS = 200
"""Columns of the header, `phone_number` included."""
MAX_COLUMN_NAME = 100
"""Characters of one column name (a custom field is a template variable of the voice agent)."""
MAX_CONTACT_ROWS = 100_000
"""Contact rows of one file: upstream's "10 MB, about 100k contacts", made exact. Each row costs
far more to check than a byte, so a file of many tiny rows would otherwise cost many honest files."""
MAX_BLANK_ROWS = 100_000
"""Blank rows (no field with anything but spaces) of one file, skipped but still read."""
MAX_CUSTOM_FIELDS = 16 * 1024
"""Characters of one contact's custom fields, as stored (a JSON array of its values)."""
EXCERPT = 40
"""Characters of a bad value quoted back in an error."""

PARALLEL_ROWS = 5_000
"""Rows are normalized in batches of this size; a file of more than one goes to the worker pool."""

Contact = tuple[str, str]
"""One contact: its E.164 number, and the values of its other columns as a JSON array (text)."""
Batch_in = list[tuple[int, list[str]]]
"""Rows to normalize: (line number, fields)."""


@dataclasses.dataclass
class ContactsFile:
    columns: list[str]
    """The names of the custom fields, in the order of each contact's values."""
    contacts: list[Contact]


def parse_contacts(
    source: bytes | BinaryIO, *, region: str = "US", pool: Executor | None = None
) -> ContactsFile:
    """Contacts of a CSV file, first row kept for a repeated number; InvalidInput names bad lines.
    Every check is linear in the size of the file; the limits above bound what one file can cost.

    The file is read as a stream, never whole in memory; the numbers are normalized here, or in
    batches by `pool` (worker processes: phonenumbers is pure Python, and a second core halves a
    large file), with only a few batches on their way at a time."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    if size > MAX_CSV_BYTES:
        raise TooLarge(f"contacts: {size} bytes is over the limit of {MAX_CSV_BYTES}")
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        return _parse(text, region, pool)
    except UnicodeDecodeError:
        raise InvalidInput(_not_utf8(stream)) from None
    finally:
        text.detach()  # the stream is the caller's to close




def _parse(text: TextIO, region: str, pool: Executor | None) -> ContactsFile:
    rows = _rows(text)
    header = _header(next(rows, None))
    phone_at = header.index(PHONE_COLUMN)
    names = [name for name in header if name != PHONE_COLUMN]
    batches = _batches(rows, len(header), PARALLEL_ROWS)
    first, second = next(batches), next(batches, [])
    batches = itertools.chain([first, second], batches)
    normalize = functools.partial(normalize_rows, phone_at=phone_at, region=region)
    # a file of one batch is done here: sending it to a worker would only add the copying
    results = window_map(pool, normalize, batches) if pool and second else map(normalize, batches)
    contacts: dict[str, str] = {}
    bad: list[str] = []
    bad_count = 0
    for batch in results:
        for number, fields in batch.contacts:
            contacts.setdefault(number, fields)
        bad.extend(batch.bad[: REPORTED_LINES - len(bad)])
        bad_count += batch.bad_count
        if len(bad) == REPORTED_LINES and batch.rows == PARALLEL_ROWS:
            # refused, and more of the file follows: checking it would only make the count exact
            more = bad_count - len(bad)
            raise InvalidInput(
                f"contacts {'; '.join(bad)} (and {more} more by line {batch.last_line}, where checking stopped)"
            )
    if bad:
        more = bad_count - len(bad)
        raise InvalidInput("contacts " + "; ".join(bad) + (f" (and {more} more)" if more else ""))
    if not contacts:
        raise InvalidInput("contacts: the file has a header but no contact rows")
    return ContactsFile(names, list(contacts.items()))


@dataclasses.dataclass
class Batch:
    contacts: list[Contact]
    bad: list[str]  # the first REPORTED_LINES of them
    bad_count: int
    rows: int
    last_line: int


def normalize_rows(rows: Batch_in, *, phone_at: int, region: str) -> Batch:
    """Numbers normalized and the other columns' values as JSON, for (line, fields) rows; a
    top-level function, so worker processes can run it."""
    contacts: list[Contact] = []
    bad: list[str] = []
    bad_count = 0
    for line, row in rows:
        raw = row.pop(phone_at)
        number = normalize_number(raw, region)
        if number is None:
            bad_count += 1
            if len(bad) < REPORTED_LINES:
                bad.append(f"line {line}: {_excerpt(raw.strip())} is not a phone number")
        elif bad_count == 0:
            fields = json.dumps(row, ensure_ascii=False)
            if len(fields) > MAX_CUSTOM_FIELDS:
                raise InvalidInput(
                    f"contacts line {line}: custom fields of {len(fields)} characters (as JSON) are over"
                    f" the limit of {MAX_CUSTOM_FIELDS} for one contact"
                )
            contacts.append((number, fields))
    return Batch(contacts, bad, bad_count, len(rows), rows[-1][0] if rows else 0)


def _excerpt(value: str) -> str:
    return repr(value) if len(value) <= EXCERPT else repr(value[:EXCERPT]) + f" (… {len(value)} characters)"


def _batches(rows: Iterator[tuple[int, list[str]]], width: int, size: int) -> Iterator[Batch_in]:
    """The rows in batches of `size` (the last one may be shorter, or empty), each row checked
    for its field count, and at most MAX_CONTACT_ROWS of them."""
    batch: Batch_in = []
    for count, (line, row) in enumerate(rows, start=1):
        if len(row) != width:
            raise InvalidInput(f"contacts line {line}: {len(row)} fields, the header has {width}")
        if count > MAX_CONTACT_ROWS:
            raise InvalidInput(
                f"contacts line {line}: more than {MAX_CONTACT_ROWS} contact rows; split the file"
                " into several campaigns"
            )
        batch.append((line, row))
        if len(batch) == size:
            yield batch
            batch = []
    yield batch


def _rows(text: TextIO) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of every non-blank record."""
    reader = csv.reader(_text_lines(text), strict=True)
    line = 1
    blank = 0
    try:
        for row in reader:
            if any(field.strip() for field in row):
                yield line, row
            else:
                blank += 1
                if blank > MAX_BLANK_ROWS:
                    raise InvalidInput(f"contacts line {line}: more than {MAX_BLANK_ROWS} blank rows")
            line = reader.line_num + 1
    except csv.Error as err:
        raise InvalidInput(f"contacts line {line}: {err}") from None


def _text_lines(text: TextIO) -> Iterator[str]:
    """The file's lines, refusing a NUL: no spreadsheet writes one, so the file is binary or
    corrupted (and PostgreSQL, where upstream keeps contacts, cannot store it in text)."""
    for number, line in enumerate(text, start=1):
        if "\0" in line:
            raise InvalidInput(f"contacts line {number}: a NUL byte; the file is not CSV text")
        yield line


def _not_utf8(stream: BinaryIO) -> str:
    """Where the first byte that is not UTF-8 is (an error path: the file is read again whole)."""
    stream.seek(0)
    data = stream.read()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return f"contacts line {line}: not UTF-8 text (byte {err.start})"
    return "contacts: not UTF-8 text"


def _header(first: tuple[int, list[str]] | None) -> list[str]:
    if first is None:
        raise InvalidInput("contacts: the file is empty")
    line, fields = first
    if len(fields) > MAX_COLUMNS:
        raise InvalidInput(f"contacts line {line}: {len(fields)} columns, over the limit of {MAX_COLUMNS}")
    header = [name.strip() for name in fields]
    if PHONE_COLUMN not in header:
        raise InvalidInput(f"contacts: the header has no {PHONE_COLUMN!r} column")
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            raise InvalidInput(f"contacts: header column {position} has no name")
        if len(name) > MAX_COLUMN_NAME:
            raise InvalidInput(
                f"contacts line {line}: header column {position} has {len(name)} characters, over the"
                f" limit of {MAX_COLUMN_NAME}"
            )
        if name in seen:
            raise InvalidInput(f"contacts: header column {name!r} appears more than once")
        seen.add(name)
    return header


__all__ = ["ContactsFile", "collector_paused", "ingest_pool", "normalize_number", "parse_contacts", "warm_up"]
