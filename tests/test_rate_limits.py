"""`hub serve --rate-limits`: each account's request limits, a truthful `Retry-After`, in-flight
requests counted (an open event stream is one); off by default."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kataven_hub.app import create_app
from kataven_hub.campaigns.limits import set_limits
from kataven_hub.storage import open_backend
from support import postgres
from support.servers import hub, serving
from tests.conftest import AGENT, CSV, NUMBER_ID, Hub, make_settings

BACKENDS = ("sqlite", "postgres")
"""Each test that uses `backend` runs on both storage drivers (`tests.conftest`)."""


@pytest.fixture
def limited(tmp_path: Path, database_url: str) -> Iterator[Hub]:
    settings = make_settings(tmp_path / "data", rate_limits=True, database_url=database_url)
    with open_backend(settings.data_dir, database_url) as stores:
        with stores.account("acme") as db:
            set_limits(db, requests_per_minute=5)
    with create_app(settings).test_client() as client:
        yield Hub(settings, client)


@pytest.mark.slow
def test_the_sixth_request_in_a_minute_is_a_429_and_retry_after_tells_the_truth(limited: Hub) -> None:
    """About a minute long: the window is a minute."""
    auth = {"Authorization": f"Bearer {limited.key()}"}
    assert [limited.client.get("/api/v1/campaigns", headers=auth).status_code for _ in range(5)] == [200] * 5
    refused = limited.client.get("/api/v1/call-limits", headers=auth)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/plain")
    assert refused.text == "rate_limited: per-minute (5) exceeded"
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 60
    time.sleep(wait)
    assert limited.client.get("/api/v1/campaigns", headers=auth).status_code == 200


def test_other_accounts_have_their_own_windows(limited: Hub) -> None:
    acme, other = {"Authorization": f"Bearer {limited.key()}"}, {"Authorization": f"Bearer {limited.key('other')}"}
    for _ in range(6):
        limited.client.get("/api/v1/campaigns", headers=acme)
    assert limited.client.get("/api/v1/campaigns", headers=acme).status_code == 429
    assert limited.client.get("/api/v1/campaigns", headers=other).status_code == 200


def test_a_limit_of_zero_blocks(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path / "data", rate_limits=True, database_url=database_url)
    with open_backend(settings.data_dir, database_url) as stores:
        with stores.account("acme") as db:
            set_limits(db, requests_per_day=0)
    with create_app(settings).test_client() as client:
        refused = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {Hub(settings, client).key()}"})
    assert (refused.status_code, refused.text, refused.headers["retry-after"]) == (
        429, "rate_limited: per-day (0) exceeded", "86400",
    )  # fmt: skip


def test_without_the_flag_a_hundred_requests_in_a_second_are_all_answered(hub: Hub) -> None:
    auth = {"Authorization": f"Bearer {hub.key()}"}
    assert {hub.client.get("/api/v1/campaigns", headers=auth).status_code for _ in range(100)} == {200}


@pytest.mark.live
def test_an_open_event_stream_is_a_request_in_flight(tmp_path: Path) -> None:
    env = {"HUB_PEPPER": "rates"}
    data_dir = tmp_path / "data"
    key = hub("keys", "create", "--account", "acme", "--data-dir", str(data_dir), env=env).stdout.split()[-1]
    hub("limits", "set", "--account", "acme", "--requests-in-flight", "1", "--data-dir", str(data_dir), env=env)
    with serving(data_dir, env, "--rate-limits") as (base, _log), httpx.Client(
        base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as client:
        form = {"name": "watched", "agent_id": AGENT, "phone_number_id": NUMBER_ID}
        campaign = client.post("/campaigns", data=form, files={"contacts": ("c.csv", CSV, "text/csv")}).json()
        with client.stream("GET", f"/campaigns/{campaign['id']}/events") as stream:
            assert stream.status_code == 200
            refused = httpx.get(f"{base}/api/v1/campaigns", headers={"Authorization": f"Bearer {key}"})
            assert (refused.status_code, refused.text) == (429, "rate_limited: in-flight (1) exceeded")
        deadline = time.monotonic() + 10
        while client.get("/campaigns").status_code != 200:  # the stream's end is seen at once, or nearly
            assert time.monotonic() < deadline
            time.sleep(0.1)


@pytest.mark.live
@pytest.mark.pg
def test_on_postgresql_replicas_share_the_windows_and_the_requests_in_flight(
    tmp_path: Path, pg_cluster: postgres.Cluster
) -> None:
    url = pg_cluster.create_database(template=postgres.TEMPLATE)
    env = {"HUB_PEPPER": "rates", "HUB_DATABASE_URL": url, "HUB_DISPATCH": "0"}
    key = hub("keys", "create", "--account", "acme", env=env).stdout.split()[-1]
    hub("limits", "set", "--account", "acme", "--requests-per-minute", "10", "--requests-in-flight", "1", env=env)
    auth = {"Authorization": f"Bearer {key}"}
    with serving(tmp_path / "a", env, "--rate-limits") as (one, _), serving(tmp_path / "b", env, "--rate-limits") as (two, _):
        answers = [httpx.get(f"{(one, two)[n % 2]}/api/v1/campaigns", headers=auth).status_code for n in range(10)]
        assert answers == [200] * 10
        for base in (one, two):  # the eleventh in the minute, on either replica
            refused = httpx.get(f"{base}/api/v1/campaigns", headers=auth)
            assert (refused.status_code, refused.text) == (429, "rate_limited: per-minute (10) exceeded")
    hub("limits", "set", "--account", "acme", "--requests-per-minute", "1000", env=env)
    with serving(tmp_path / "a", env, "--rate-limits") as (one, _), serving(tmp_path / "b", env, "--rate-limits") as (two, _):
        form = {"name": "watched", "agent_id": AGENT, "phone_number_id": NUMBER_ID}
        campaign = httpx.post(f"{one}/api/v1/campaigns", headers=auth, data=form, files={"contacts": ("c.csv", CSV, "text/csv")}).json()
        with httpx.stream("GET", f"{one}/api/v1/campaigns/{campaign['id']}/events", headers=auth, timeout=30) as stream:
            assert stream.status_code == 200
            deadline = time.monotonic() + 5  # the other replica learns of it within about a second
            while (refused := httpx.get(f"{two}/api/v1/campaigns", headers=auth)).status_code != 429:
                assert time.monotonic() < deadline, "replica B never counted the stream open on replica A"
                time.sleep(0.2)
            assert refused.text == "rate_limited: in-flight (1) exceeded"
