"""The PostgreSQL backend's own guarantees: migrations applied once when replicas start together,
a schema newer than the server refused, the `hub` commands working against the database, and
an account's writes serialized across backends (two `start`s cannot both pass the budget), and
request-rate windows that hold across backends."""

from __future__ import annotations

import threading

import psycopg
import pytest
from limits import RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerMinute

from kataven_hub import campaigns
from kataven_hub.campaigns.limits import set_limits
from kataven_hub.errors import Conflict, Unavailable
from kataven_hub.storage.pg import PgBackend, migrate
from kataven_hub.storage.pg.db import migrations
from support import postgres
from support.servers import hub
from tests.conftest import AGENT, NUMBER_ID

pytestmark = pytest.mark.pg


def test_three_replicas_starting_together_apply_each_migration_once(pg_cluster: postgres.Cluster) -> None:
    url = pg_cluster.create_database()  # empty: no migration yet
    applied: list[int] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            applied.append(migrate(url))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(applied) == [0, 0, len(migrations())]
    with psycopg.connect(url) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [number for number, _name, _sql in migrations()]


def test_a_database_of_a_newer_schema_is_refused(pg_cluster: postgres.Cluster) -> None:
    url = pg_cluster.create_database(template=postgres.TEMPLATE)
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_from_the_future.sql')")
    with pytest.raises(Unavailable, match="schema version 9999, newer than this server knows"):
        PgBackend(url)


def test_the_hub_commands_work_against_the_database(pg_cluster: postgres.Cluster) -> None:
    env = {"HUB_PEPPER": "cli", "HUB_DATABASE_URL": pg_cluster.create_database(template=postgres.TEMPLATE)}
    created = hub("keys", "create", "--account", "acme", "--name", "ci", env=env).stdout
    key_id, key = created.split()[1], created.split()[-1]
    assert key_id.startswith("key_") and key.startswith("sk_live_acme_")
    assert key_id in hub("keys", "list", "--account", "acme", env=env).stdout
    demo = hub("demo", "--account", "acme", env=env).stdout
    assert "running" in demo and "draft" in demo
    assert "deleted 6 campaign(s)" in hub("reset", "--account", "acme", env=env).stdout
    assert "concurrent_max\t3" in hub("limits", "set", "--account", "acme", "--concurrent-max", "3", env=env).stdout
    assert "concurrent_max\t3" in hub("limits", "show", "--account", "acme", env=env).stdout
    hub("keys", "revoke", key_id, env=env)
    with PgBackend(env["HUB_DATABASE_URL"]) as backend, backend.system.read() as conn:
        [record] = conn.list_keys("acme")
    assert record["id"] == key_id and record["revoked_at"]


def test_two_starts_on_two_backends_cannot_both_pass_the_budget(pg_cluster: postgres.Cluster) -> None:
    """Two replicas (two backends, two pools) start two campaigns of one account at once; the
    budget has room for one: the account's lock makes one of them see the other."""
    url = pg_cluster.create_database(template=postgres.TEMPLATE)
    with PgBackend(url) as one, PgBackend(url) as two:
        with one.account("acme") as database:
            set_limits(database, concurrent_max=5)
            ids = [campaigns.create_campaign(database, {"name": "c", "agent_id": AGENT, "phone_number_id": NUMBER_ID,
                                                        "max_concurrent_calls": 4},
                                             b"phone_number\n+14155552671\n", created_by="t", region="US")["id"]
                   for _ in range(2)]  # fmt: skip
        outcomes: list[str] = []
        ready = threading.Barrier(2)

        def start(backend: PgBackend, campaign_id: str) -> None:
            with backend.account("acme") as database:
                ready.wait()
                try:
                    campaigns.start_campaign(database, campaign_id)
                    outcomes.append("started")
                except Conflict:
                    outcomes.append("refused")

        for _ in range(5):  # a few rounds, each from drafts again
            outcomes.clear()
            threads = [threading.Thread(target=start, args=pair) for pair in ((one, ids[0]), (two, ids[1]))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(outcomes) == ["refused", "started"]
            with one.account("acme") as database, database.write() as conn:
                for campaign_id in ids:
                    conn.update_campaign(campaign_id, "running", status="draft", started_at=None)


def test_requests_taken_in_batches_on_two_backends_never_pass_a_window_over_its_limit(
    pg_cluster: postgres.Cluster,
) -> None:
    """`--rate-limits`: batches of requests of two accounts, in every order, from two backends at
    once: exactly the limit passes in each account, every answer goes to its own request, a
    refusal names the window without room (the minute's, whose limit is lower) and is counted in
    none of the windows."""
    url = pg_cluster.create_database(template=postgres.TEMPLATE)
    windows = [RateLimitItemPerMinute(40), RateLimitItemPerHour(1000), RateLimitItemPerDay(1000)]
    answers: dict[str, list[object]] = {"acme": [], "zeta": []}
    errors: list[BaseException] = []
    with PgBackend(url) as one, PgBackend(url) as two:

        def client(backend: PgBackend, order: tuple[str, ...]) -> None:
            try:
                for size in (1, 3, 5, 2, 4, 1, 6, 3):
                    batch = [(order[n % 2], windows) for n in range(size)]
                    for (account, _), refused in zip(batch, backend.shared_counters().take(batch)):
                        answers[account].append(refused)
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)

        threads = [threading.Thread(target=client, args=(backend, order))
                   for backend in (one, two) for order in (("acme", "zeta"), ("zeta", "acme"))]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        storage = one.shared_counters().storage
        counted = {account: [storage.get_sliding_window(item.key_for(account), item.get_expiry())[2] for item in windows]
                   for account in answers}  # fmt: skip
    assert errors == []
    assert counted == {"acme": [40, 40, 40], "zeta": [40, 40, 40]}
    for account in ("acme", "zeta"):  # 4 clients × 25 requests, half of each batch to each account
        assert len(answers[account]) == 50
        assert answers[account].count(None) == 40
        assert all(refused is None or refused is windows[0] for refused in answers[account])


def test_the_requests_of_one_account_in_a_batch_are_counted_in_order_and_refused_in_the_window_that_ran_out(
    pg_cluster: postgres.Cluster,
) -> None:
    """One account's requests taken together (one upsert): the first ones, up to the smallest room
    the windows leave, are counted; each later one names the first window without room once those
    are counted (the hour's here), and is counted in none, as when taken one by one."""
    url = pg_cluster.create_database(template=postgres.TEMPLATE)
    windows = [RateLimitItemPerMinute(9), RateLimitItemPerHour(7), RateLimitItemPerDay(1000)]
    with PgBackend(url) as backend:
        take = backend.shared_counters().take
        first = take([("acme", windows)] * 5 + [("zeta", windows)])
        second = take([("acme", windows)] * 5)
        storage = backend.shared_counters().storage
        counted = [storage.get_sliding_window(item.key_for("acme"), item.get_expiry())[2] for item in windows]
    assert first == [None] * 6
    assert second == [None, None, windows[1], windows[1], windows[1]]
    assert counted == [7, 7, 7]
    with PgBackend(url) as backend:
        assert backend.shared_counters().take([("acme", windows)] * 3) == [windows[1]] * 3
        tight = [RateLimitItemPerMinute(2), *windows[1:]]
        assert backend.shared_counters().take([("omega", tight)] * 4) == [None, None, tight[0], tight[0]]
