"""A folder of contracts, one file per consumer (`DIR/<consumer>.json`): read, and written as the
union of what is on disk and what is given, under a lock on the folder (two servers recording into
it lose nothing), through a temporary file renamed over the old one (a crash leaves one or the other)."""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import threading
from collections.abc import Collection
from pathlib import Path

from kataven_hub.consumers.contract import Contract, dumps, loads, union
from kataven_hub.errors import ConfigurationError

SUFFIX = ".json"
LOCK = ".lock"
DEFAULT = "default"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(consumer: str) -> str:
    """A consumer's name as a file name: `web` -> `web.json` (other characters become `-`)."""
    safe = _UNSAFE.sub("-", consumer).strip(".-")[:64]
    return (safe or DEFAULT) + SUFFIX


def consumer_name(given: str) -> str:
    """The name a consumer is recorded under: what it gave, as its file names it."""
    return file_name(given)[: -len(SUFFIX)]


class ContractFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def save(self, contract: Contract) -> Contract:
        """Write the union of `contract` and its file; what is now on disk."""
        path = self.directory / file_name(contract["consumer"])
        with self._lock, self._locked():
            merged = union(self._read(path), contract) if path.exists() else contract
            text = dumps(merged)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                _replace(path, text)
        return merged

    def _locked(self) -> _FileLock:
        self.directory.mkdir(parents=True, exist_ok=True)
        return _FileLock(self.directory / LOCK)

    def _read(self, path: Path) -> Contract:
        return loads(path.read_text(encoding="utf-8"), str(path))


def read_all(directory: Path, leaving_out: Collection[Path] = ()) -> list[tuple[Path, Contract]]:
    """Every contract in the folder but the files left out (pacts), by file name; ValueError naming
    the first file that is not one."""
    return [(path, loads(path.read_text(encoding="utf-8"), str(path))) for path in sorted(directory.glob("*" + SUFFIX))
            if path not in leaving_out and path.is_file()]  # fmt: skip


def contracts_in(directory: Path, command: str) -> list[Contract]:
    """The contracts of the folder a command (`hub diff --consumers`) was given; ConfigurationError,
    in a line naming the command, where there is no such folder, no contract or a bad one."""
    if not directory.is_dir():
        raise ConfigurationError(f"{command}: {directory}: no such folder of consumer contracts")
    try:
        found = [contract for _path, contract in read_all(directory)]
    except ValueError as err:
        raise ConfigurationError(f"{command}: {err}") from None
    if not found:
        raise ConfigurationError(f"{command}: {directory}: no consumer contract (*{SUFFIX}) in it")
    return found


class _FileLock:
    """An exclusive `flock` on a file, for the length of a `with`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> None:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _replace(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
