"""Test-only switches, read once from the environment; never set them in production. They exist
so that the kill test (`tests/test_scale_out.py`) can crash a replica at the riskiest moment and
show that its checks can fail when the account lock is gone."""

from __future__ import annotations

import itertools
import os

CRASH_AFTER_COMMIT = int(os.environ.get("HUB_TEST_CRASH_AFTER_COMMIT") or 0)
"""Exit the process right after the Nth dispatcher round that placed calls commits, before it
dials them (0: never)."""
NO_ACCOUNT_LOCK = os.environ.get("HUB_TEST_NO_ACCOUNT_LOCK") == "1"
"""PostgreSQL: writes skip the account's advisory lock (the control run: caps must then break)."""
IGNORE_LEASES = os.environ.get("HUB_TEST_IGNORE_LEASES") == "1"
"""PostgreSQL: every replica rounds every account with work, as if every lease overlapped."""

ROUND_TIMES = os.environ.get("HUB_TEST_ROUND_TIMES", "")
"""A file to which each dispatcher round's duration in seconds is appended (the benchmark's p99)."""

_placed = itertools.count(1)


def placed_and_committed() -> None:
    """Called by a round that placed calls, after its commit and before it dials."""
    if CRASH_AFTER_COMMIT and next(_placed) == CRASH_AFTER_COMMIT:
        os._exit(70)


def round_took(seconds: float) -> None:
    """Called after each dispatcher round with its duration."""
    if ROUND_TIMES:
        with open(ROUND_TIMES, "a") as out:
            out.write(f"{seconds:.6f}\n")
