"""Faults of the machine under the data directory, told apart from bugs: a full disk, a data
directory or database turned read-only, a database kept busy past its timeout, the open-file limit.
Each becomes the domain error a client can act on (a full disk: `StorageFull`, a 507; the others:
`Unavailable` with a time to retry, a 503), with the underlying error in its message. The operator
gets a log line with the underlying error when a kind of fault is met (its traceback the first
time), then at most one a minute while it lasts, saying how many more there were: a full disk met
by every request and every dispatch round does not bury the log."""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

from kataven_hub.errors import HubError, StorageFull, Unavailable

log = logging.getLogger("kataven_hub.storage")
FULL, READ_ONLY, BUSY, FILES = "disk full", "read-only", "busy", "open-file limit"
RETRY_AFTER = {READ_ONLY: 30, BUSY: 1, FILES: 5}
"""Seconds a client is told to wait, by fault."""
_ERRNOS = {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EFBIG: FULL, errno.EROFS: READ_ONLY,
           errno.EACCES: READ_ONLY, errno.EPERM: READ_ONLY, errno.EMFILE: FILES, errno.ENFILE: FILES}  # fmt: skip
LOG_EVERY = 60.0
"""Seconds between two log lines of one kind of fault while it lasts."""
_logged: dict[str, tuple[float, int]] = {}
"""Kind of fault -> when it was last logged, and how many since."""
_logged_lock = threading.Lock()


class Busy(Unavailable):
    """An account's writer is busy (another request's write, or, with PostgreSQL, another
    replica's): a dispatcher round that only tried the lock skips the account this time."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retry_after=1)


def kind(exc: BaseException, path: Path) -> str | None:
    """Which machine fault `exc`, met on the database at `path`, is; None for anything else."""
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        return _ERRNOS.get(exc.errno or 0)
    if not isinstance(exc, sqlite3.Error):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        return FULL
    if name.startswith("SQLITE_READONLY"):
        return READ_ONLY
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return BUSY
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR")):
        return _why_not(path)  # SQLite does not say why it could not open or write a file: look
    return None


def _why_not(path: Path) -> str | None:
    try:
        os.close(os.open(os.devnull, os.O_RDONLY))
    except OSError as err:
        if err.errno in (errno.EMFILE, errno.ENFILE):
            return FILES
    folder = path.parent
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return READ_ONLY
    try:
        stats = os.statvfs(folder)
    except OSError:
        return None
    if stats.f_flag & os.ST_RDONLY:
        return READ_ONLY
    if stats.f_bavail * stats.f_frsize < 1024 * 1024:  # under a MiB left: what a write failed on
        return FULL
    return None


def as_error(exc: BaseException, path: Path) -> HubError | None:
    """The domain error of a machine fault (logged here, once per fault), or None."""
    found = kind(exc, path)
    return None if found is None else error_for(exc, path, found)


def error_for(exc: BaseException, path: Path, found: str) -> HubError:
    """The domain error of a fault of the `kind` found, logged."""
    log_fault(found, exc, path)
    if found == FULL:
        return StorageFull(f"the disk holding the data is full ({exc}): nothing was stored; retry once space is freed")
    cause = {
        READ_ONLY: f"the data directory or database is read-only ({exc})",
        BUSY: f"the account's database stayed busy past its timeout ({exc})",
        FILES: f"the server is at its open-file limit ({exc})",
    }[found]
    return Unavailable(f"{cause}: nothing was stored; retry in {RETRY_AFTER[found]} s", retry_after=RETRY_AFTER[found])


def log_fault(found: str, exc: BaseException, where: object) -> None:
    """One line per kind of fault when first met (its traceback the first time), then at most one
    every LOG_EVERY seconds while it lasts, with the count in between."""
    now = time.monotonic()
    with _logged_lock:
        last, since = _logged.get(found, (None, 0))
        due = last is None or now - last >= LOG_EVERY
        _logged[found] = (now, 0) if due or last is None else (last, since + 1)
    if due:
        more = f"; {since} more since the last line" if since else ""
        log.error("%s: %s (%s)%s", found, exc, where, more, exc_info=exc if last is None else None)
