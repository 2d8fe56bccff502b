"""The services a request needs, in one object that handlers receive as `hub`."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import anyio.to_thread
import connexion.context
from starlette.responses import Response

from kataven_hub import clock
from kataven_hub.auth import Authenticator
from kataven_hub.campaigns.ingest import ingest_pool, warm_up
from kataven_hub.campaigns.turns import IngestTurns
from kataven_hub.consumers.accounts import AccountRecordings
from kataven_hub.dispatch.dialer import Dialer, SimulatedCarrier, parse_weights
from kataven_hub.dispatch.lock import DispatchLock
from kataven_hub.dispatch.loop import Dispatcher, run_forever
from kataven_hub.errors import ConfigurationError
from kataven_hub.mock.mocker import Mocker
from kataven_hub.mock.parents import fill
from kataven_hub.schemas.satisfy import short
from kataven_hub.settings import Settings
from kataven_hub.storage import Backend, open_backend
from kataven_hub.web.mockanswers import PARENT, request_key

T = TypeVar("T")
log = logging.getLogger(__name__)
QUIET_START = 1.0
"""Seconds after start-up before the work no request waits for begins (the ingest workers' start,
the mock's walk of every answer): the first requests, and the middleware Connexion builds on the
first one, have the interpreter (and a server pinned to one core, the core) to themselves."""


class Hub:
    """The services a request needs (settings, the data directory's databases, auth) and the
    dispatcher, which runs for as long as the app does."""

    def __init__(self, settings: Settings, mocker: Mocker) -> None:
        self.settings = settings
        self.mocker = mocker
        self.stores = open_backend(settings.data_dir, settings.database_url, max_open=settings.open_accounts,
                                   busy_timeout=settings.busy_timeout)  # fmt: skip
        self.authenticator = Authenticator(settings, self.stores.system)
        carrier = _carrier(settings, self.stores)
        self.dispatcher = Dispatcher(self.stores, carrier, time_scale=settings.sim_time_scale,
                                     interval=settings.dispatch_interval, account_clocks=settings.dev)  # fmt: skip
        # one dispatcher per data directory; on PostgreSQL, replicas share the work by leases
        self._lock = None if settings.database_url else DispatchLock(settings.data_dir)
        self.ingest_pool = ingest_pool(settings.ingest_workers)
        self.ingest_turns = IngestTurns(settings.ingests_at_once, settings.ingest_wait)
        self.recordings = AccountRecordings()
        """What the accounts recording on the control surface used (dev mode)."""
        self._owner = True
        """Whether its lifespan runs the services (False: another hub's, `sharing`)."""

    async def in_account(self, account: str, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `work(account_db, ...)` in a worker thread, off the event loop, at the account's time."""

        def run() -> T:
            with self.stores.account(account) as database, clock.shifted(self.dispatcher.ahead(database)):
                return work(database, *args, **kwargs)

        return await anyio.to_thread.run_sync(run)

    def mock(self, operation_id: str) -> Response:
        """What the spec documents for the operation: what a scaffolded stub answers (for the
        request being answered, the same body the mock gave, filled from the resource it is
        under as the mock's is: `mock.parents`)."""
        scope = connexion.context.scope
        draft = self.mocker.draft(operation_id, request=request_key(scope))
        return fill(draft, scope.get("extensions", {}).get(PARENT)).response()

    def sharing(self, mocker: Mocker) -> Hub:
        """This hub's services for another version of the document (`hub serve --watch`): its own
        mocker; its lifespan only checks that mocker, the services run in this hub's `services`."""
        twin = copy.copy(self)
        twin.mocker, twin._owner = mocker, False
        return twin

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        if not self._owner:
            async with self._checking():
                yield
            return
        gc.freeze()  # what start-up built lives as long as the server: no collection walks it again
        async with self.services(), self._checking():
            yield

    @contextlib.asynccontextmanager
    async def _checking(self) -> AsyncIterator[None]:
        checked = threading.Event()
        threading.Thread(target=_name_unsatisfiable, args=(self.mocker, checked), name="hub-mock-check", daemon=True).start()
        try:
            yield
        finally:
            checked.set()

    @contextlib.asynccontextmanager
    async def services(self) -> AsyncIterator[None]:
        """The dispatcher and the ingest workers, running; the stores closed at the end."""
        dispatching = None
        if self.settings.dispatch:
            if self._lock is not None:
                self._lock.acquire()
            await anyio.to_thread.run_sync(self.dispatcher.recover)
            interval = self.settings.dispatch_interval
            dispatching = asyncio.create_task(run_forever(self.dispatcher, interval))
        warming = None
        if self.ingest_pool is not None:  # start the workers soon, not on the first large file; not before the first answers
            warming = asyncio.get_running_loop().call_later(QUIET_START, self.ingest_pool.submit, warm_up)
        try:
            yield
        finally:
            if warming is not None:
                warming.cancel()
            if dispatching is not None:
                dispatching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await dispatching
            if self._lock is not None:
                self._lock.release()
            if self.ingest_pool is not None:
                self.ingest_pool.shutdown(cancel_futures=True)
            self.stores.close()


def _name_unsatisfiable(mocker: Mocker, stop: threading.Event) -> None:
    """Each operation the mock cannot answer named in one line, once the server is up: drawing every
    operation's answer takes seconds on a large document, and no request waits for it (nor shares
    the interpreter with it in the first QUIET_START seconds)."""
    if stop.wait(QUIET_START):
        return
    for problem in mocker.unsatisfiable(stop):
        log.warning("the mock cannot answer %s; add an example to the spec", short(problem, 400))


def _carrier(settings: Settings, stores: Backend) -> Dialer:
    """The simulated carrier; on PostgreSQL, with its record in the database, shared by replicas."""
    options = {"seed": settings.sim_seed, "time_scale": settings.sim_time_scale, "weights": _weights(settings)}
    if settings.database_url:
        from kataven_hub.dispatch.shared import RecordedCarrier
        from kataven_hub.storage.pg.carrier import CarrierRecord
        from kataven_hub.storage.pg.db import PgBackend

        assert isinstance(stores, PgBackend)
        return RecordedCarrier(CarrierRecord(stores), **options)  # type: ignore[arg-type]
    return SimulatedCarrier(**options)  # type: ignore[arg-type]


def _weights(settings: Settings) -> dict[str, float] | None:
    """HUB_SIM_OUTCOMES as the carrier's weights; ConfigurationError, in one line, at start-up."""
    if not settings.sim_outcomes:
        return None
    try:
        return parse_weights(settings.sim_outcomes)
    except ValueError as err:
        raise ConfigurationError(f"sim_outcomes: {err}") from None
