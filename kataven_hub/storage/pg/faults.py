"""PostgreSQL's faults as the domain's errors: a database that is away or restarting, a pool with
no free connection and a lock that does not come are `Unavailable` (503 with Retry-After); a full
disk is `StorageFull` (507). Anything else is a bug, and stays one."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors
from psycopg_pool import PoolTimeout

from kataven_hub.errors import StorageFull, Unavailable
from kataven_hub.storage.faults import Busy, log_fault

__all__ = ["POOL_WAIT", "Busy", "first_line", "translated"]

log = logging.getLogger("kataven_hub.storage")


def first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


@contextmanager
def translated() -> Iterator[None]:
    """PostgreSQL's faults met in the block as the domain's errors, each logged (rate-limited)."""
    try:
        yield
    except errors.DiskFull as err:
        raise _logged("full", err, StorageFull(
            f"the database's disk is full ({first_line(err)}): nothing was stored; retry once space is freed"))  # fmt: skip
    except errors.LockNotAvailable as err:
        raise Unavailable("the account is busy with another long write; retry", retry_after=1) from err
    except (errors.AdminShutdown, errors.CannotConnectNow, errors.CrashShutdown) as err:
        raise _logged("database restarting", err, Unavailable(
            f"the database is restarting ({first_line(err)}): nothing was stored; retry", retry_after=5))  # fmt: skip
    except PoolTimeout as err:
        raise _logged("no database connection", err, Unavailable(
            f"no database connection within {POOL_WAIT:.0f} s: the database is away, or every connection is in use;"
            " nothing was stored; retry", retry_after=5))  # fmt: skip
    except psycopg.OperationalError as err:
        raise _logged("database unreachable", err, Unavailable(
            f"the database is unreachable ({first_line(err)}): nothing was stored; retry", retry_after=5))  # fmt: skip


POOL_WAIT = 5.0
"""Seconds a request waits for a pooled connection (or for the database to come back) before a 503."""


def _logged(found: str, cause: BaseException, error: Exception) -> Exception:
    log_fault(found, cause, "PostgreSQL")
    error.__cause__ = cause
    return error
