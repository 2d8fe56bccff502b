"""The data directory: system.db and the account databases, each opened on demand and at most a
bounded number at once."""

from __future__ import annotations

import collections
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kataven_hub.errors import ConfigurationError, Unavailable
from kataven_hub.storage.sqlite import schema
from kataven_hub.storage.sqlite.db import BUSY_TIMEOUT, Database
from kataven_hub.storage.sqlite.workindex import WorkIndex

SYSTEM_KEEP_IDLE = 8
"""Connections system.db keeps open between uses: every request with an API key reads it, and
concurrent requests would otherwise each open and close a connection of their own."""
OPEN_WAIT = 30.0
"""Seconds a request waits for an open account database to become free before it is refused."""


class _Open:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.users = 0


class Stores:
    """The data directory: system.db and the account databases. An account database is opened on
    first use and closed when it is the least recently used one and `max_open` are open, never
    while a request or a dispatcher round holds it."""

    def __init__(self, data_dir: Path, *, max_open: int = 128, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.data_dir = data_dir
        self.max_open = max(1, max_open)
        self.busy_timeout = busy_timeout
        writable(data_dir)
        self.system = Database(data_dir / "system.db", schema.SYSTEM, keep_idle=SYSTEM_KEEP_IDLE, busy_timeout=busy_timeout)
        self.work = WorkIndex(self)
        if self.system.version_found == 0 and not self.account_names():  # a new data directory
            self.work.mark_built()
        self._open: collections.OrderedDict[str, _Open] = collections.OrderedDict()
        self._changed = threading.Condition()

    def account_names(self) -> list[str]:
        """Every account that has a database file."""
        return sorted(path.stem for path in (self.data_dir / "accounts").glob("*.db"))

    def has_account(self, name: str) -> bool:
        return (self.data_dir / "accounts" / f"{name}.db").exists()

    @contextmanager
    def account(self, name: str) -> Iterator[Database]:
        """The database of a (validly named) account, created on first use, for the block."""
        entry = self._acquire(name)
        try:
            yield entry.database
        finally:
            with self._changed:
                entry.users -= 1
                self._changed.notify_all()

    def is_open(self, name: str) -> bool:
        """Whether the account's database is open already (using it will not open a file)."""
        with self._changed:
            return name in self._open

    def open_count(self) -> int:
        with self._changed:
            return len(self._open)

    def _acquire(self, name: str) -> _Open:
        deadline = time.monotonic() + OPEN_WAIT
        with self._changed:
            while True:
                entry = self._open.get(name)
                if entry is not None:
                    self._open.move_to_end(name)
                    break
                if len(self._open) < self.max_open or self._evict_one():
                    path = self.data_dir / "accounts" / f"{name}.db"
                    database = Database(path, schema.ACCOUNT, name=name, on_work=self.work.mark,
                                        busy_timeout=self.busy_timeout)  # fmt: skip
                    entry = self._open[name] = _Open(database)
                    break
                if not self._changed.wait(deadline - time.monotonic()):
                    raise Unavailable(
                        f"all {self.max_open} open account databases are in use; try again, or raise"
                        " HUB_OPEN_ACCOUNTS (each takes about three open files)"
                    )
            entry.users += 1
            return entry

    def _evict_one(self) -> bool:
        """Close the least recently used account database that nobody holds, if there is one."""
        for name, entry in self._open.items():
            if entry.users == 0:
                del self._open[name]
                entry.database.close()
                return True
        return False

    def write_many(self, names: list[str]) -> None:
        """None: each account is its own file, written on its own."""
        return None

    def shared_counters(self) -> None:
        """None: one process serves a data directory, its own counts are the truth."""
        return None

    def __enter__(self) -> Stores:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._changed:
            for entry in self._open.values():
                entry.database.close()
            self._open.clear()
        self.system.close()


def writable(data_dir: Path) -> None:
    """Make the data directory (and its `accounts/`) if need be and check that a file can be
    written there; ConfigurationError, in one line, if not: a read-only data directory refuses
    the start, not every request after it."""
    try:
        (data_dir / "accounts").mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir / "accounts"):
            pass
    except OSError as err:
        raise ConfigurationError(f"data directory {data_dir} is not writable: {err.strerror or err}") from None


