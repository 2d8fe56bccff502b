"""Fixtures: an app per test over its own temporary data directory, credentials for it, and a
headless Chromium (Debian's, driven by Playwright) for the browser tests."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml
from playwright.sync_api import Browser, sync_playwright
from starlette.testclient import TestClient

from kataven_hub import auth
from kataven_hub.app import create_app
from kataven_hub.settings import DEFAULT_SPEC as SPEC
from kataven_hub.settings import Settings, finalize
from kataven_hub.storage import Stores
from support import servers

JWT_SECRET = "test-jwt-secret-of-a-decent-length!"
AGENT = "3f1c2b9e-8d4a-4f6e-9b7a-2c5d8e1f0a34"
NUMBER_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
CSV = b"phone_number,first_name\n+14155552671,Ada\n+442079460958,Alan\n"
REPORTS = Path(__file__).resolve().parents[1] / "reports"
"""Where browser tests keep their screenshots."""
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# the probe's flags: this machine's network is closed, and root needs --no-sandbox
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]  # fmt: skip


class Hub:
    """One server under test: its settings, an HTTP client, and helpers to call it."""

    def __init__(self, settings: Settings, client: TestClient) -> None:
        self.settings = settings
        self.client = client

    def key(self, account: str = "acme") -> str:
        stores = Stores(self.settings.data_dir)
        try:
            return auth.create_key(stores.system, self.settings.pepper, account=account)[1]
        finally:
            stores.close()

    def token(self, sub: str = "user-1", accounts: list[str] | None = None, **claims: Any) -> str:
        payload = {"sub": sub, "accounts": accounts or ["acme"], "exp": time.time() + 600, **claims}
        return jwt.encode(payload, JWT_SECRET, algorithm="HS256")

    def create(
        self,
        key: str,
        csv: bytes = CSV,
        path: str = "/api/v1/campaigns",
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> Any:
        form = {"name": "Spring renewals", "agent_id": AGENT, "phone_number_id": NUMBER_ID}
        form.update({k: str(v) for k, v in fields.items()})
        return self.client.post(
            path,
            headers={"Authorization": f"Bearer {key}", **(headers or {})},
            data={k: v for k, v in form.items() if v != "None"},
            files={"contacts": ("contacts.csv", csv, "text/csv")},
        )

    def rows(self, account: str, table: str) -> list[dict[str, Any]]:
        stores = Stores(self.settings.data_dir)
        try:
            with stores.account(account) as database, database.read() as db:
                return list(db[table].rows)
        finally:
            stores.close()


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "pepper": "test-pepper",
        "jwt_secret": JWT_SECRET,
        "validate_responses": True,
        "dispatch": False,  # tests that dial drive a Dispatcher themselves, with a fixed clock
        "ingest_workers": 0,  # tests/test_ingest.py runs the worker pool itself
    }
    values.update(overrides)
    return finalize(Settings(**values))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Only a test marked `live` may start a server (`make unit` leaves them out)."""
    servers.ALLOWED = item.get_closest_marker("live") is not None


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text())  # type: ignore[no-any-return]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    settings = make_settings(tmp_path / "data")
    with create_app(settings).test_client() as client:
        yield Hub(settings, client)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
