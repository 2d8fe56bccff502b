"""One dispatcher per data directory: two servers dialling from the same files would place calls
twice."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import TextIO

from kataven_hub.errors import ConfigurationError


class DispatchLock:
    """One dispatcher per data directory: an exclusive lock on `dispatcher.lock`, which the
    operating system releases when the process dies, however it dies."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "dispatcher.lock"
        self._file: TextIO | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise ConfigurationError(
                f"another server (pid {owner}) is dispatching from {self.path.parent};"
                " stop it, or start this one with HUB_DISPATCH=0 to serve the API only"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def ensure_free(self) -> None:
        """ConfigurationError if another process holds the lock now."""
        self.acquire()
        self.release()

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
