import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from kataven_hub.storage import Stores
from kataven_hub.storage.sqlite import schema
from kataven_hub.storage.sqlite.db import Database


def test_account_databases_are_created_on_first_use_in_wal_mode(tmp_path: Path) -> None:
    stores = Stores(tmp_path)
    assert not (tmp_path / "accounts" / "acme.db").exists()
    with stores.account("acme") as database, database.read() as db:
        assert (tmp_path / "accounts" / "acme.db").exists()
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(schema.ACCOUNT)
        indexes = {tuple(i.columns) for i in db["contacts"].indexes}
        assert ("campaign_id", "status", "id") in indexes
    stores.close()


def test_migrations_run_once_and_upgrade_an_old_file(tmp_path: Path) -> None:
    calls: list[int] = []

    def first(db: object) -> None:
        calls.append(1)

    def second(db: object) -> None:
        calls.append(2)

    Database(tmp_path / "x.db", [first]).close()
    Database(tmp_path / "x.db", [first]).close()
    assert calls == [1]
    upgraded = Database(tmp_path / "x.db", [first, second])
    assert calls == [1, 2]
    with upgraded.read() as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    upgraded.close()


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    with Stores(tmp_path) as stores, stores.account("acme") as database:
        with pytest.raises(sqlite3.IntegrityError):
            with database.write() as db:
                db.insert_campaign(_campaign("c1"), [("+14155552671", "[]")], columns=[])
                db.insert_campaign(_campaign("c1"), [], columns=[])
        with database.read() as db:
            assert db["campaigns"].count == 0
            assert db["contacts"].count == 0


def test_concurrent_writers_never_see_a_locked_database(tmp_path: Path) -> None:
    stores = Stores(tmp_path)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(20):
                with stores.account("acme") as database:
                    with database.write() as db:
                        db.insert_campaign(_campaign(f"{n}-{i}"), [(f"+1415555{n:02d}{i:02d}", "[]")], columns=[])
                    with database.read() as db:
                        assert db["campaigns"].count >= 1
        except BaseException as err:  # noqa: BLE001 - collected for the assertion below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with stores.account("acme") as database, database.read() as db:
        assert db["campaigns"].count == 160
    stores.close()


def test_two_processes_worth_of_connections_share_a_file(tmp_path: Path) -> None:
    one, two = Stores(tmp_path), Stores(tmp_path)
    with one.account("acme") as database, database.write() as db:
        db.insert_campaign(_campaign("a"), [], columns=[])
    with two.account("acme") as database, database.read() as db:
        assert db.get_campaign("a")["id"] == "a"
    one.close()
    two.close()


def _campaign(campaign_id: str) -> dict[str, object]:
    return {
        "id": campaign_id, "name": "n", "agent_id": "a", "phone_number_id": "p",
        "max_concurrent_calls": 5, "retries_per_contact": 0, "retry_delay_seconds": 300,
        "status": "draft", "created_at": "2026-01-01T00:00:00Z", "created_by": "t",
    }  # fmt: skip


def test_version_2_keeps_custom_field_names_once_and_values_in_their_order(tmp_path: Path) -> None:
    old = Database(tmp_path / "old.db", schema.ACCOUNT[:1])
    with old.write() as db:
        db.execute(
            "INSERT INTO campaigns (id, name, agent_id, phone_number_id, status, created_at, created_by,"
            " contacts_total, first_contact_id) VALUES ('c1', 'n', 'a', 'p', 'draft', 't', 'k', 2, 1)"
        )
        for n, fields in enumerate(['{"zeta": "1", "alpha": "x, \\"y\\""}', '{"zeta": "2", "alpha": ""}'], start=1):
            db.execute(
                "INSERT INTO contacts (id, campaign_id, phone_number, custom_fields, status, attempts)"
                " VALUES (?, 'c1', ?, ?, 'pending', 0)",
                [n, f"+1415555267{n}", fields],
            )
    old.close()
    upgraded = Database(tmp_path / "old.db", schema.ACCOUNT)
    with upgraded.read() as db:
        _check_version_2(db)
    upgraded.close()


def _check_version_2(db: Any) -> None:
    campaign = db.get_campaign("c1")
    assert campaign is not None
    contacts, total = db.contacts_page(campaign, None, 0, 100)
    assert total == 2
    assert [c["custom_fields"] for c in contacts] == [{"zeta": "1", "alpha": 'x, "y"'}, {"zeta": "2", "alpha": ""}]
    assert list(contacts[0]["custom_fields"]) == ["zeta", "alpha"]  # the header's order, kept
