"""The storage conformance suite: every query of `storage.base.Connection`, and the guarantees
of `Database` and the work index, checked the same way on both drivers (SQLite and PostgreSQL).
A driver that answers differently from the other fails here, not in a handler's test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kataven_hub.storage import Backend, Database, open_backend
from kataven_hub.storage.faults import Busy

BACKENDS = ("sqlite", "postgres")
T = "2030-01-01T00:00:00.000Z"


@pytest.fixture
def stores(tmp_path: Path, database_url: str) -> Iterator[Backend]:
    with open_backend(tmp_path, database_url) as backend:
        yield backend


@pytest.fixture
def acme(stores: Backend) -> Iterator[Database]:
    with stores.account("acme") as database:
        yield database


def campaign(campaign_id: str, created_at: str = T, status: str = "draft", **fields: Any) -> dict[str, Any]:
    return {"id": campaign_id, "name": f"campaign {campaign_id}", "agent_id": "a", "phone_number_id": "p",
            "max_concurrent_calls": 5, "retries_per_contact": 1, "retry_delay_seconds": 60, "status": status,
            "created_at": created_at, "created_by": "test", "contacts_total": 3, **fields}  # fmt: skip


def add(database: Database, campaign_id: str, numbers: int = 3, **fields: Any) -> None:
    with database.write() as conn:
        contacts = [(f"+1415555{n:04d}", f'["v{n}"]') for n in range(numbers)]
        conn.insert_campaign(campaign(campaign_id, contacts_total=numbers, **fields), contacts, columns=["k"])


def test_a_campaign_and_its_contacts_read_back_as_stored(acme: Database) -> None:
    add(acme, "c1")
    with acme.read() as conn:
        stored = conn.get_campaign("c1")
        assert stored == campaign("c1")
        page, total = conn.contacts_page(stored, None, 0, 2)
        assert total == 3 and [c["id"] for c in page] == [1, 2]
        assert page[0] == {"id": 1, "phone_number": "+14155550000", "custom_fields": {"k": "v0"}, "status": "pending",
                           "attempts": 0, "created_at": T}  # fmt: skip
        assert conn.contacts_page(stored, None, 1, 2)[0][0]["id"] == 3
        assert conn.get_campaign("nope") is None


def test_custom_fields_of_any_text_read_back_as_written(acme: Database) -> None:
    import json

    values = ["back\\slash", "tab\there", "new\nline", "cr\rhere", '"quoted"', "naïve ☎", "\\N", ""]
    with acme.write() as conn:
        conn.insert_campaign(campaign("c1", contacts_total=1), [("+14155550000", json.dumps(values, ensure_ascii=False))],
                             columns=[f"f{i}" for i in range(len(values))])  # fmt: skip
    with acme.read() as conn:
        [contact], _total = conn.contacts_page(conn.get_campaign("c1"), None, 0, 10)  # type: ignore[arg-type]
    assert list(contact["custom_fields"].values()) == values


def test_contact_ids_are_consecutive_per_campaign_and_pages_are_by_status(acme: Database) -> None:
    add(acme, "c1", 3)
    add(acme, "c2", 250)
    with acme.read() as conn:
        second = conn.get_campaign("c2")
        assert second is not None
        assert [c["id"] for c in conn.contacts_page(second, None, 2, 100)[0]] == list(range(204, 254))
    with acme.write() as conn:
        conn.settle_contacts([("failed", "failed", None, n) for n in range(4, 254, 2)])
    with acme.read() as conn:
        failed, total = conn.contacts_page(second, "failed", 1, 100)
        assert total == 125 and len(failed) == 25 and failed[0]["id"] == 204
        assert conn.contacts_page(second, "busy", 0, 100) == ([], 0)
        assert conn.status_counts("c2") == {"failed": 125, "pending": 125}


def test_listing_is_newest_first_and_ties_keep_the_order_of_creation(acme: Database) -> None:
    add(acme, "old", created_at="2030-01-01T00:00:00.000Z")
    add(acme, "a", created_at="2030-01-02T00:00:00.000Z")
    add(acme, "b", created_at="2030-01-02T00:00:00.000Z")
    with acme.read() as conn:
        assert [c["id"] for c in conn.list_campaigns()] == ["b", "a", "old"]
        assert {c["id"] for c in conn.campaigns_in(["draft"])} == {"b", "a", "old"}
        assert conn.campaigns_in(["running"]) == []


def test_an_update_applies_only_from_the_expected_status(acme: Database) -> None:
    add(acme, "c1")
    with acme.write() as conn:
        assert conn.update_campaign("c1", "draft", status="running", started_at=T)
        assert not conn.update_campaign("c1", "draft", status="completed")
    with acme.read() as conn:
        assert conn.get_campaign("c1")["status"] == "running"  # type: ignore[index]


def test_deleting_a_campaign_and_everything(acme: Database) -> None:
    add(acme, "c1")
    add(acme, "c2")
    with acme.write() as conn:
        conn.delete_campaign("c1")
        conn.put_resource("/pets", "1", {"id": 1})
        conn.set_clock_ahead(60.0)
    with acme.read() as conn:
        assert conn.get_campaign("c1") is None and conn.status_counts("c1") == {}
    with acme.write() as conn:
        assert conn.delete_everything() == 1
    with acme.read() as conn:
        assert conn.list_campaigns() == [] and conn.get_resource("/pets", "1") is None and conn.clock_ahead() == 0.0


def test_accounts_never_see_each_others_rows(stores: Backend) -> None:
    with stores.account("acme") as acme, stores.account("globex") as globex:
        add(acme, "c1")
        with globex.read() as conn:
            assert conn.get_campaign("c1") is None and conn.list_campaigns() == []
        add(globex, "c1", 2)  # the same id in another account
        with acme.read() as conn:
            assert conn.get_campaign("c1")["contacts_total"] == 3  # type: ignore[index]
        with globex.write() as conn:
            assert conn.delete_everything() == 1
        with acme.read() as conn:
            assert conn.status_counts("c1") == {"pending": 3}
    assert {"acme", "globex"} <= set(stores.account_names()) and stores.has_account("acme")


def test_a_failed_write_leaves_nothing(acme: Database) -> None:
    with pytest.raises(RuntimeError), acme.write() as conn:
        conn.insert_campaign(campaign("c1"), [("+14155550000", "[]")], columns=[])
        raise RuntimeError("after the insert")
    with acme.read() as conn:
        assert conn.list_campaigns() == [] and conn.status_counts("c1") == {}


def test_a_write_that_will_not_wait_is_busy_while_another_holds_the_account(acme: Database) -> None:
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with acme.write():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    try:
        with pytest.raises(Busy), acme.write(wait=False):
            pass
    finally:
        release.set()
        holder.join()
    with acme.write(wait=False) as conn:
        assert conn.list_campaigns() == []


def test_limits_and_idempotency_keys(acme: Database) -> None:
    with acme.read() as conn:
        assert conn.get_limits() is None
    with acme.write() as conn:
        conn.put_limits({"concurrent_max": 3, "calls_per_minute": 10})
        conn.put_limits({"concurrent_max": 4, "calls_per_minute": 10})
        assert conn.claim_idempotency_key("k", "f1", '{"id": "c1"}', T, "2029-12-31T00:00:00.000Z")
        assert not conn.claim_idempotency_key("k", "f2", "{}", T, "2029-12-31T00:00:00.000Z")
    with acme.read() as conn:
        assert conn.get_limits() == {"concurrent_max": 4, "calls_per_minute": 10}
        assert conn.find_idempotency_key("k", "2029-12-31T00:00:00.000Z") == {"fingerprint": "f1", "answer": '{"id": "c1"}', "created_at": T}
        assert conn.find_idempotency_key("k", "2030-01-02T00:00:00.000Z") is None  # expired
    with acme.write() as conn:  # a claim forgets the expired keys first
        assert conn.claim_idempotency_key("k", "f3", "{}", "2030-01-03T00:00:00.000Z", "2030-01-02T00:00:00.000Z")


def test_calls_from_start_to_settlement(acme: Database) -> None:
    add(acme, "c1", 3, status="running")
    later = "2030-01-01T00:05:00.000Z"
    with acme.write() as conn:
        assert conn.has_work() and conn.has_unsettled("c1")
        [live] = conn.live_campaigns()
        assert live["id"] == "c1" and live["custom_field_names"] == '["k"]'
        due = conn.due_contacts(live, T, 2)
        assert [(c["id"], c["custom_fields"], c["attempts"]) for c in due] == [(1, {"k": "v0"}, 0), (2, {"k": "v1"}, 0)]
        conn.start_calls([("c1", 1, "s1"), ("c1", 2, "s2")], T)
        assert [c[2:] for c in conn.calls_in_flight()] == [(1, "s1", 1), (2, "s2", 1)]
        assert conn.usage_since("2029-12-31T23:59:00.000Z", "2029-12-31T00:00:00.000Z") == (2, 2, 0.0)
        assert conn.first_started_since("2029-12-31T00:00:00.000Z") == T
        conn.finish_calls([("2030-01-01T00:01:00.000Z", "busy", 60.0, "s1"), ("2030-01-01T00:00:30.000Z", "completed", 30.0, "s2")])
        conn.settle_contacts([("pending", "busy", later, 1), ("completed", "completed", None, 2)])
        assert conn.calls_in_flight() == [] and conn.attempts_made("c1") == 2
        assert conn.usage_since("2030-01-01T00:00:00.000Z", "2029-12-31T00:00:00.000Z") == (0, 2, 90.0)
        assert [c["id"] for c in conn.due_contacts(live, T, 5)] == [3]  # 1 waits for its retry
        assert [c["id"] for c in conn.due_contacts(live, later, 5)] == [1, 3]
        assert conn.next_due(T) == later and conn.waiting(T)
        conn.skip_pending("c1")
        assert conn.status_counts("c1") == {"skipped": 2, "completed": 1} and not conn.has_unsettled("c1")
        assert not conn.waiting(later) and conn.next_due(T) is None


def test_the_work_index_holds_the_accounts_with_work_until_a_round_finds_them_idle(stores: Backend) -> None:
    with stores.account("acme") as acme, stores.account("idle") as idle:
        add(acme, "c1", status="running")
        add(idle, "c1")
        with acme.write() as conn:
            acme.mark_work()
            assert conn.has_work()
        assert stores.work.accounts() == ["acme"]
        assert not stores.work.forget_if_idle("acme")
        with acme.write() as conn:
            conn.update_campaign("c1", "running", status="completed")
        assert stores.work.forget_if_idle("acme")
        assert stores.work.accounts() == []


def test_what_the_mock_remembers(acme: Database) -> None:
    with acme.write() as conn:
        assert conn.next_number() == 1
        conn.put_resource("/pets", "1", {"id": 1, "name": "a"})
        conn.put_resource("/pets", "2", {"id": 2, "name": "b"})
        conn.put_resource("/owners", "1", {"id": 1})
        assert conn.next_number() == 4
        assert conn.put_resource("/pets", "1", {"id": 1, "name": "A"}) == '{"id": 1, "name": "A"}'
    with acme.read() as conn:
        assert conn.get_resource("/pets", "1") == '{"id": 1, "name": "A"}'
        assert conn.list_resources("/pets", 0, 10) == ([{"id": 1, "name": "A"}, {"id": 2, "name": "b"}], 2)
        assert conn.list_resources("/pets", 1, 10) == ([{"id": 2, "name": "b"}], 2)
    with acme.write() as conn:
        assert conn.delete_resource("/pets", "1") and not conn.delete_resource("/pets", "1")


def test_api_keys(stores: Backend) -> None:
    record = {"id": "k1", "account": "acme", "name": "ci", "hint": "kh_…abcd", "created_at": T}
    with stores.system.write() as conn:
        conn.insert_key({**record, "hash": "h1"})
        conn.insert_key({**record, "id": "k2", "account": "globex", "hash": "h2"})
    with stores.system.read() as conn:
        assert conn.find_key("h1") == {**record, "revoked_at": None}
        assert conn.find_key("nope") is None
        assert [k["id"] for k in conn.list_keys("acme")] == ["k1"]
        assert [k["id"] for k in conn.list_keys(None)] == ["k1", "k2"]
    with stores.system.write() as conn:
        assert conn.revoke_key("k1", T) and not conn.revoke_key("k1", T)
    with stores.system.read() as conn:
        assert conn.find_key("h1")["revoked_at"] == T  # type: ignore[index]
