"""Machine faults, in-process: each becomes the documented domain error with its cause (a full
disk a 507, read-only, busy and the open-file limit a 503 with Retry-After), the first error is
the one reported (a failed rollback never replaces it), nothing is stored, the database stays
whole, and a data directory that cannot be written refuses the start in one line.
tests/test_live_faults.py does the same against a live server with the dispatcher running."""

from __future__ import annotations

import errno
import logging
import sqlite3
from pathlib import Path

import pytest

from kataven_hub.errors import ConfigurationError, StorageFull, Unavailable
from kataven_hub.storage import Stores, faults
from kataven_hub.storage.sqlite.db import Database
from kataven_hub.storage.sqlite.schema import ACCOUNT


def _rows(database: Database) -> int:
    with database.read() as conn:
        return int(conn.execute("SELECT count(*) FROM mock_resources").fetchone()[0])


def test_a_full_disk_is_a_storage_full_error_and_stores_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faults, "_logged", {})  # as in a fresh server: the first fault of its kind
    database = Database(tmp_path / "a.db", ACCOUNT)
    with pytest.raises(StorageFull) as raised, caplog.at_level(logging.ERROR):
        with database.write() as conn:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk, as SQLite sees it, fills
            for n in range(2000):
                conn.execute("INSERT INTO mock_resources (collection, id, body) VALUES ('c', ?, ?)", [str(n), "x" * 500])
    assert "database or disk is full" in raised.value.message and "nothing was stored" in raised.value.message
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    assert "disk full: database or disk is full" in caplog.text  # the operator sees the cause
    assert "cannot rollback" not in caplog.text  # the failure reported was the write's, not a rollback's
    database.close()
    again = Database(tmp_path / "a.db", ACCOUNT)
    assert _rows(again) == 0
    with again.read() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with again.write() as conn:  # recovery: the next write, with room, is stored
        conn.execute("INSERT INTO mock_resources (collection, id, body) VALUES ('c', '1', '{}')")
    assert _rows(again) == 1


def test_a_database_busy_past_its_timeout_is_a_503_with_retry_after(tmp_path: Path) -> None:
    database = Database(tmp_path / "b.db", ACCOUNT, busy_timeout=0.2)
    holder = sqlite3.connect(tmp_path / "b.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    with pytest.raises(Unavailable) as raised:
        with database.write() as conn:
            conn.execute("INSERT INTO mock_resources (collection, id, body) VALUES ('c', '1', '{}')")
    assert "busy" in raised.value.message and "database is locked" in raised.value.message
    assert raised.value.retry_after == faults.RETRY_AFTER[faults.BUSY]
    holder.execute("ROLLBACK")
    with database.write() as conn:
        conn.execute("INSERT INTO mock_resources (collection, id, body) VALUES ('c', '1', '{}')")
    assert _rows(database) == 1


def test_a_read_only_database_is_a_503_naming_it(tmp_path: Path) -> None:
    database = Database(tmp_path / "c.db", ACCOUNT)
    with pytest.raises(Unavailable) as raised:
        with database.write() as conn:
            conn.execute("PRAGMA query_only = ON")  # SQLite refuses writes as on a read-only file
            conn.execute("INSERT INTO mock_resources (collection, id, body) VALUES ('c', '1', '{}')")
    assert "read-only" in raised.value.message and raised.value.retry_after == faults.RETRY_AFTER[faults.READ_ONLY]


@pytest.mark.parametrize(("number", "kind"), [(errno.ENOSPC, faults.FULL), (errno.EROFS, faults.READ_ONLY),
                                              (errno.EMFILE, faults.FILES), (errno.ENOENT, None)])  # fmt: skip
def test_os_errors_are_told_apart(tmp_path: Path, number: int, kind: str | None) -> None:
    assert faults.kind(OSError(number, "x"), tmp_path / "x.db") == kind


def test_the_first_error_is_the_one_reported_when_the_rollback_fails_too(tmp_path: Path) -> None:
    database = Database(tmp_path / "d.db", ACCOUNT)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), database.write() as conn:
        conn.execute("INSERT INTO mock_resources (collection, id, body) VALUES ('c', '1', '{}')")
        conn.execute("ROLLBACK")  # the transaction is gone: a rollback now would fail
        raise Boom()
    assert _rows(database) == 0


def test_a_data_directory_that_cannot_be_written_refuses_the_start(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(ConfigurationError, match=r"^data directory .* is not writable: "):
        Stores(tmp_path / "file" / "data")


def test_a_full_temporary_directory_under_an_upload_is_a_507_not_a_500(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.datastructures import UploadFile

    from kataven_hub.app import create_app
    from tests.conftest import Hub, make_settings

    async def full(self: UploadFile, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(UploadFile, "write", full)  # where Starlette spools a multipart part
    settings = make_settings(tmp_path / "data")
    with create_app(settings).test_client() as client:
        hub = Hub(settings, client)
        answer = hub.create(hub.key())
        assert answer.status_code == 507 and "No space left on device" in answer.json()
        assert hub.rows("acme", "campaigns") == []


def test_a_database_of_a_newer_schema_is_refused_not_misread(tmp_path: Path) -> None:
    Database(tmp_path / "e.db", ACCOUNT).close()
    newer = sqlite3.connect(tmp_path / "e.db")
    newer.execute(f"PRAGMA user_version = {len(ACCOUNT) + 1}")
    newer.close()
    with pytest.raises(Unavailable, match=r"schema version \d+, newer than this server knows"):
        Database(tmp_path / "e.db", ACCOUNT)
