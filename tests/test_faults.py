"""Dev mode's injected slowness and failures: `--latency`, `--error-rate` and `Prefer: delay=`.
Only lower bounds on time are asserted: a loaded machine can only make answers slower."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kataven_hub.app import create_app
from kataven_hub.errors import ConfigurationError
from kataven_hub.settings import parse_latency
from kataven_hub.web.aliases import is_api
from tests.conftest import Hub, make_settings

MISSING = "0b6f5a4e-2f7d-4c1a-9e53-7d2c8a1b9f10"


def _hub(tmp_path: Path, **faults: Any) -> Iterator[Hub]:
    settings = make_settings(tmp_path / "data", dev=True, **faults)
    with create_app(settings).test_client() as client:
        yield Hub(settings, client)


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[Hub]:
    yield from _hub(tmp_path, latency="200")


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[Hub]:
    yield from _hub(tmp_path, error_rate=0.5, fault_seed=7)


def _timed(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    response = call()
    return time.perf_counter() - started, response


def test_latency_delays_every_api_answer_errors_included(slow: Hub) -> None:
    auth = {"Authorization": f"Bearer {slow.key()}"}
    calls = [
        lambda: slow.client.get("/api/v1/campaigns", headers=auth),
        lambda: slow.client.get("/v1/campaigns", headers=auth),
        lambda: slow.client.get(f"/api/v1/campaigns/{MISSING}", headers=auth),
        lambda: slow.client.get("/api/v1/campaigns"),
        lambda: slow.create(slow.key(), retry_delay_seconds=5),
    ]
    for call in calls:
        took, response = _timed(call)
        assert took >= 0.2, (response.status_code, took)
    assert {is_api(p) for p in ("/openapi.json", "/openapi.yaml", "/ui/", "/console/")} == {False}
    assert {is_api(p) for p in ("/api/v1/campaigns", "/v1/campaigns", "/hub-api/api/v1/call-limits", "/pets")} == {True}


def test_an_error_rate_fails_its_share_from_the_spec_and_stores_nothing(faulty: Hub) -> None:
    key = faulty.key()
    answers = [faulty.create(key) for _ in range(100)]
    failed = [a for a in answers if a.status_code == 500]
    assert 35 <= len(failed) <= 65, len(failed)
    assert all(a.json() == "Database error" and a.headers["x-hub-mock"] == "example" for a in failed)
    created = [a for a in answers if a.status_code == 201]
    assert len(created) + len(failed) == 100
    assert len(faulty.rows("acme", "campaigns")) == len(created)  # a faulted create left nothing


def test_prefer_delay_waits_then_answers(faulty: Hub) -> None:
    auth = {"Authorization": f"Bearer {faulty.key()}"}
    took, response = _timed(lambda: faulty.client.get("/api/v1/call-limits", headers={**auth, "Prefer": "delay=300, code=200"}))
    assert took >= 0.3 and response.status_code == 200
    refused = faulty.client.get("/api/v1/call-limits", headers={**auth, "Prefer": "delay=soon"})
    assert (refused.status_code, refused.json()) == (400, "Prefer: delay=soon is not a number of milliseconds")


@pytest.mark.parametrize(
    ("faults", "says"),
    [
        ({"latency": "200", "dev": False}, "dev-mode tools"),
        ({"error_rate": 0.1, "dev": False}, "dev-mode tools"),
        ({"latency": "400-100", "dev": True}, "LOW is above HIGH"),
        ({"latency": "fast", "dev": True}, "give MS or LOW-HIGH"),
        ({"error_rate": 1.5, "dev": True}, "between 0 and 1"),
    ],
)
def test_bad_fault_settings_refuse_to_start(tmp_path: Path, faults: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigurationError, match=says):
        make_settings(tmp_path / "data", **faults)


def test_latency_is_milliseconds_or_a_range() -> None:
    assert parse_latency("200") == (0.2, 0.2)
    assert parse_latency("100-400") == (0.1, 0.4)
