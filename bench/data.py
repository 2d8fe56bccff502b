"""Contacts CSVs for the benchmarks: about 100 bytes a row, so 100k rows come near the 10 MiB cap."""

from __future__ import annotations

import random

AREAS = ("415", "212", "646", "312", "617", "206", "512", "303")


def contacts_csv(rows: int, seed: int = 1) -> bytes:
    """A realistic upload: E.164 numbers (a few national-format), names, an email, a quoted note."""
    rng = random.Random(seed)
    lines = ["phone_number,first_name,last_name,email,plan,state,notes"]
    for i in range(rows):
        number = f"{rng.choice(AREAS)}{rng.randint(2_000_000, 9_999_999)}"
        phone = f"+1{number}" if i % 10 else f"({number[:3]}) {number[3:6]}-{number[6:]}"
        lines.append(f'{phone},First{i},Last{i},person{i}@example.com,gold,CA,"note {i}, renewal due in May"')
    return ("\n".join(lines) + "\n").encode()
