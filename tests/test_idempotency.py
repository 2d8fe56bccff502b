"""`Idempotency-Key` on the create: the same key and the same request answer the same campaign,
stored once; the same key with another request is a 422 that creates nothing; keys belong to the
account, expire after 24 hours, and `hub reset` forgets them; two requests with one key at once
(a live server) store one campaign."""

from __future__ import annotations

import concurrent.futures
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from kataven_hub import auth, clock
from kataven_hub.campaigns import reset_account
from kataven_hub.campaigns.idempotency import TTL
from kataven_hub.storage import open_backend
from support.servers import serving
from tests.conftest import AGENT, CSV, NUMBER_ID, Hub
from tests.helpers import assert_error

BACKENDS = ("sqlite", "postgres")
"""Each test that uses `hub` runs on both storage drivers (`tests.conftest`)."""


def _campaigns(hub: Hub, account: str = "acme") -> int:
    return len(hub.rows(account, "campaigns"))


def test_the_same_key_and_request_answer_the_same_campaign_stored_once(hub: Hub) -> None:
    key = hub.key()
    first = hub.create(key, headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = hub.create(key, headers={"Idempotency-Key": "retry-1"})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert _campaigns(hub) == 1 and len(hub.rows("acme", "contacts")) == 2
    assert hub.create(key).status_code == 201 and _campaigns(hub) == 2  # no key: a new campaign each time


def test_the_same_key_with_another_request_is_a_422_that_creates_nothing(hub: Hub) -> None:
    key = hub.key()
    hub.create(key, headers={"Idempotency-Key": "k"})
    other_name = hub.create(key, headers={"Idempotency-Key": "k"}, name="Another name")
    assert_error(other_name, 422, "Idempotency-Key 'k' was used at ")
    assert "for a different request" in other_name.json()
    other_file = hub.create(key, csv=CSV + b"+14155552672,Grace\n", headers={"Idempotency-Key": "k"})
    assert other_file.status_code == 422
    assert _campaigns(hub) == 1 and len(hub.rows("acme", "contacts")) == 2


def test_keys_belong_to_the_account_expire_and_are_forgotten_by_reset(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    acme, globex = hub.key("acme"), hub.key("globex")
    mine = hub.create(acme, headers={"Idempotency-Key": "shared"}).json()
    theirs = hub.create(globex, headers={"Idempotency-Key": "shared"}).json()
    assert mine["id"] != theirs["id"]
    later = clock.now() + TTL + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    expired = hub.create(acme, headers={"Idempotency-Key": "shared"})
    assert expired.status_code == 201 and expired.json()["id"] != mine["id"]  # a day on: a new request
    monkeypatch.undo()
    with hub.backend() as stores, stores.account("globex") as database:
        reset_account(database)
    fresh = hub.create(globex, headers={"Idempotency-Key": "shared"})
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers


def test_a_key_the_spec_refuses_is_a_400(hub: Hub) -> None:
    answer = hub.create(hub.key(), headers={"Idempotency-Key": "x" * 256})
    assert answer.status_code == 400 and _campaigns(hub) == 0


@pytest.mark.live
def test_concurrent_requests_with_one_key_store_one_campaign(tmp_path: Path, database_url: str) -> None:
    """Eight at once with one key; on PostgreSQL spread over two replicas, as a client retrying
    behind a load balancer would."""
    data_dir = tmp_path / "data"
    with open_backend(data_dir, database_url) as stores:
        key = auth.create_key(stores.system, "idem", account="acme")[1]
    csv = b"phone_number\n" + b"".join(b"+1415555%04d\n" % n for n in range(3000))

    def create(n: int) -> httpx.Response:
        return httpx.post(f"{bases[n % len(bases)]}/api/v1/campaigns",
                          headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "once"},
                          data={"name": "n", "agent_id": AGENT, "phone_number_id": NUMBER_ID},
                          files={"contacts": ("c.csv", csv, "text/csv")}, timeout=60)  # fmt: skip

    env = {"HUB_PEPPER": "idem", "HUB_DISPATCH": "0", **({"HUB_DATABASE_URL": database_url} if database_url else {})}
    with ExitStack() as stack:
        replicas = [data_dir, tmp_path / "second"] if database_url else [data_dir]
        bases = [stack.enter_context(serving(directory, env))[0] for directory in replicas]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(create, range(8)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 7
    with open_backend(data_dir, database_url) as stores, stores.account("acme") as database, database.read() as conn:
        [campaign] = conn.list_campaigns()
        assert conn.status_counts(campaign["id"]) == {"pending": 3000}
