"""The hostile corpus: contacts files an attacker (or a broken export) would send, each with the
status and the words of the answer it must get. Built on demand, deterministic, each within the
10 MiB file limit; `tests/test_hostile.py` sends every one, `make bench` times the costliest."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

MiB = 1024 * 1024
MAX_ROWS = 100_000
SIZE = 10 * MiB - 4096
"""The large files come near the 10 MiB file limit, without reaching it."""


@dataclasses.dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[], bytes]
    status: int
    says: str
    """Words the error message must contain."""


def _fill(head: bytes, unit: bytes, size: int = SIZE) -> bytes:
    return head + unit * ((size - len(head)) // len(unit))


def _columns(count: int, width: int = 0) -> bytes:
    return ("phone_number," + ",".join(f"c{i:0{width}d}" for i in range(count)) + "\n").encode()


def _million_columns() -> bytes:
    header = b"phone_number" + b"".join(b",c%d" % i for i in range(1_200_000))
    return header[: SIZE - 1] + b"\n"


def _repeated_columns() -> bytes:
    return b"phone_number," + b",".join([b"a"] * 20_000) + b"\n+14155552671" + b",x" * 20_000 + b"\n"


def _one_row_too_many() -> bytes:
    from bench.data import contacts_csv

    return contacts_csv(MAX_ROWS + 1)


def _noise() -> bytes:
    return random.Random(7).randbytes(MiB)


def _utf16() -> bytes:
    return "phone_number,name\n+14155552671,Ada\n".encode("utf-16")


def _many_parts() -> bytes:  # the file itself is fine; the form around it is not (see FORMS)
    return b"phone_number\n+14155552671\n"


CORPUS = [
    Hostile("a million columns", _million_columns, 400, "columns, over the limit of 200"),
    Hostile("20,000 repeated column names", _repeated_columns, 400, "columns, over the limit of 200"),
    Hostile("201 columns", lambda: _columns(200) + b"+14155552671" + b",x" * 200 + b"\n", 400, "201 columns"),
    Hostile("a 101-character column name", lambda: b"phone_number," + b"n" * 101 + b"\n+14155552671,x\n", 400,
            "101 characters, over the limit of 100"),  # fmt: skip
    Hostile("a NUL inside a field", lambda: b"phone_number,first\n+14155550100,a\0b\n", 400, "line 2: a NUL byte"),
    Hostile("a NUL in the header", lambda: b"phone\0_number\n+14155550100\n", 400, "line 1: a NUL byte"),
    Hostile("a 9 MB line with no newline", lambda: b"phone_number," + b"a" * (9 * MiB), 400, "field larger than"),
    Hostile("a field over the csv module's limit", lambda: b"phone_number,n\n+14155552671," + b"x" * 200_000 + b"\n",
            400, "field larger than"),  # fmt: skip
    Hostile("a contact's custom fields over 16 KiB",
            lambda: _columns(150) + b"+14155552671" + (b"," + b"v" * 120) * 150 + b"\n", 400,
            "over the limit of 16384 for one contact"),  # fmt: skip
    Hostile("UTF-16", _utf16, 400, "not UTF-8"),
    Hostile("3.5 million invalid numbers", lambda: _fill(b"phone_number\n", b"+1\n"), 400,
            "(and 4995 more by line 5001, where checking stopped)"),  # fmt: skip
    Hostile("100,000 invalid numbers, each quoted back shortened", lambda: _fill(b"phone_number\n", b"x" * 45 + b"\n", 46 * 100_001),
            400, "(and 4995 more by line 5001, where checking stopped)"),  # fmt: skip
    Hostile("100,001 honest rows", _one_row_too_many, 400, "line 100002: more than 100000 contact rows"),
    Hostile("10 million blank lines", lambda: _fill(b"phone_number\n", b"\n"), 400,
            "line 100002: more than 100000 blank rows"),  # fmt: skip
    Hostile("2.6 million rows of commas", lambda: _fill(b"phone_number,a,b,c\n", b",,,\n"), 400,
            "more than 100000 blank rows"),  # fmt: skip
    Hostile("an unbalanced quote", lambda: b'phone_number,n\n+14155552671,"abc\n+14155552672,d\n', 400,
            "unexpected end of data"),  # fmt: skip
    Hostile("binary noise", _noise, 400, "contacts"),
    Hostile("rows wider than the header", lambda: b"phone_number\n+14155552671,x,y\n", 400, "3 fields, the header has 1"),
    Hostile("a header and nothing else", lambda: b"phone_number", 400, "no contact rows"),
    Hostile("an empty file", lambda: b"", 400, "the file is empty"),
]
"""Files that must be refused. A file's bad number is quoted back shortened, never whole."""
