"""Fixtures: an app per test over its own temporary data directory, credentials for it, and a
headless Chromium (Debian's, driven by Playwright) for the browser tests."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml
from connexion.spec import Specification
from playwright.sync_api import Browser, sync_playwright
from starlette.testclient import TestClient

from kataven_hub import auth
from kataven_hub.app import create_app
from kataven_hub.settings import DEFAULT_SPEC as SPEC
from kataven_hub.settings import Settings, finalize
from kataven_hub.storage import Backend, open_backend
from support import postgres, servers

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

    def backend(self) -> Backend:
        return open_backend(self.settings.data_dir, self.settings.database_url)

    def key(self, account: str = "acme") -> str:
        stores = self.backend()
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

    def sql(self, account: str, statement: str, params: list[Any] | None = None) -> None:
        """Run one SQLite-flavoured statement (`?` parameters) in the account's store, on either
        driver: a test reaching past the API (a campaign made `failed`, ...). On PostgreSQL the
        statement sees every account's rows: a test's database holds what it made."""
        stores = self.backend()
        try:
            with stores.account(account) as database, database.write() as db:
                if self.settings.database_url:
                    db.conn.execute(statement.replace("%", "%%").replace("?", "%s"), params or [])  # type: ignore[attr-defined]
                else:
                    db.execute(statement, params or [])  # type: ignore[attr-defined]
        finally:
            stores.close()

    def rows(self, account: str, table: str) -> list[dict[str, Any]]:
        """Every row of an account's table, as stored (PostgreSQL: without the account column)."""
        stores = self.backend()
        try:
            with stores.account(account) as database, database.read() as db:
                if not self.settings.database_url:
                    return list(db[table].rows)  # type: ignore[index]
                cursor = db.conn.execute(f"SELECT * FROM {table} WHERE account = %s ORDER BY 1, 2", [account])  # type: ignore[attr-defined]
                names = [column.name for column in cursor.description]
                return [{k: v for k, v in zip(names, row) if k not in ("account", "seq")} for row in cursor]
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


@pytest.fixture(scope="session", autouse=True)
def validated_once() -> Iterator[None]:
    """Connexion checks the whole document against the OpenAPI meta-schema in every `add_api`: two
    thirds of building an app, and a run builds hundreds of apps from a handful of documents. A
    document (after Connexion's defaults, by its `repr`) that passed is not checked again in this
    process; one that failed is checked, and refused, every time."""
    check = Specification._validate_spec.__func__  # type: ignore[attr-defined]
    passed: set[tuple[type, bytes]] = set()

    def validate_spec(cls: type, spec: dict[str, Any]) -> None:
        key = (cls, hashlib.sha256(repr(spec).encode()).digest())
        if key not in passed:
            check(cls, spec)
            passed.add(key)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Specification, "_validate_spec", classmethod(validate_spec))
        yield


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Only a test marked `live` may start a server (`make unit` leaves them out)."""
    servers.ALLOWED = item.get_closest_marker("live") is not None


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text())  # type: ignore[no-any-return]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module that sets `BACKENDS = ("sqlite", "postgres")` runs each of its tests that use
    `backend` (the `hub` fixture does) once on each storage driver; `@pytest.mark.backends("sqlite")`
    keeps a test about one driver's files on that driver."""
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        chosen = marker.args if marker else getattr(metafunc.module, "BACKENDS", ("sqlite",))
        metafunc.parametrize("backend", [pytest.param(name, marks=pytest.mark.pg) if name == "postgres" else name for name in chosen])


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Cluster]:
    """One PostgreSQL for the whole run, started on first use, with a migrated template database.
    Without PostgreSQL installed the tests that need it skip, except in CI (HUB_REQUIRE_PG=1 or
    CI set), where a missing server must fail the run, not hide behind a green one."""
    if not os.environ.get("HUB_TEST_DATABASE_URL"):
        need_postgres_binaries()
    with postgres.server() as cluster:
        postgres.template(cluster)
        yield cluster


def need_postgres_binaries() -> None:
    """Skip the test if Debian's PostgreSQL is not installed, naming the fix; fail it in CI
    (HUB_REQUIRE_PG or CI set), where a missing server must not hide behind a green run."""
    if postgres.binaries() is None:
        message = "PostgreSQL is not installed: `make test` installs it (apt-get install -y postgresql)"
        if os.environ.get("HUB_REQUIRE_PG") or os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def new_database(request: pytest.FixtureRequest, backend: str) -> Callable[[], str]:
    """Makes a fresh, migrated PostgreSQL database and gives its URL; "" on SQLite (each test has
    its own data directory)."""
    if backend != "postgres":
        return lambda: ""
    cluster: postgres.Cluster = request.getfixturevalue("pg_cluster")
    return lambda: cluster.create_database(template=postgres.TEMPLATE)


@pytest.fixture
def database_url(new_database: Callable[[], str]) -> str:
    """A fresh, migrated PostgreSQL database for the test; "" on SQLite."""
    return new_database()


@pytest.fixture
def hub(tmp_path: Path, database_url: str) -> Iterator[Hub]:
    settings = make_settings(tmp_path / "data", database_url=database_url)
    with create_app(settings).test_client() as client:
        yield Hub(settings, client)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
