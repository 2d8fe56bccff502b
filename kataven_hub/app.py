"""The app factory: openapi.yaml served by Connexion, with our auth, validators, errors and middleware."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import inflection
import yaml
from connexion import AsyncApp
from connexion.middleware import MiddlewarePosition
from connexion.resolver import Resolver
from connexion.security import BearerSecurityHandler
from starlette.middleware.cors import CORSMiddleware

from kataven_hub import errormap
from kataven_hub.auth import Authenticator
from kataven_hub.dialer import SimulatedCarrier, parse_weights
from kataven_hub.dispatcher import Dispatcher, DispatchLock, run_forever
from kataven_hub.ingest import MAX_REQUEST_BYTES, ingest_pool, warm_up
from kataven_hub.middleware import BodyLimit, Inject, PathAliases
from kataven_hub.settings import Settings
from kataven_hub.storage import Stores
from kataven_hub.validation import VALIDATORS

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
T = TypeVar("T")


class Hub:
    """The services a request needs (settings, the data directory's databases, auth) and the
    dispatcher, which runs for as long as the app does."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stores = Stores(settings.data_dir)
        self.authenticator = Authenticator(settings, self.stores.system)
        carrier = SimulatedCarrier(
            seed=settings.sim_seed,
            time_scale=settings.sim_time_scale,
            weights=parse_weights(settings.sim_outcomes) if settings.sim_outcomes else None,
        )
        self.dispatcher = Dispatcher(self.stores, carrier, time_scale=settings.sim_time_scale)
        self._lock = DispatchLock(settings.data_dir)
        self.ingest_pool = ingest_pool(settings.ingest_workers)

    async def in_account(self, account: str, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `work(account_db, ...)` in a worker thread, off the event loop."""

        def run() -> T:
            return work(self.stores.account(account), *args, **kwargs)

        return await anyio.to_thread.run_sync(run)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        dispatching = None
        if self.settings.dispatch:
            self._lock.acquire()
            interval = self.settings.dispatch_interval
            dispatching = asyncio.create_task(run_forever(self.dispatcher, interval))
        if self.ingest_pool is not None:  # start the workers now, not on the first large file
            self.ingest_pool.submit(warm_up)
        try:
            yield
        finally:
            if dispatching is not None:
                dispatching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await dispatching
            self._lock.release()
            if self.ingest_pool is not None:
                self.ingest_pool.shutdown(cancel_futures=True)
            self.stores.close()


def operation_function(operation_id: str) -> Callable[..., Any]:
    """`postApiV1Campaigns` -> `handlers.<module>.post_api_v1_campaigns`, for any handler module."""
    import handlers

    name = inflection.underscore(operation_id)
    for module in handlers.MODULES:
        if hasattr(module, name):
            return getattr(module, name)
    raise LookupError(f"no handler function {name!r} for operationId {operation_id!r}")


def _bearer_handler(authenticator: Authenticator) -> type[BearerSecurityHandler]:
    def token_info(token: str, request: Any) -> dict[str, str]:
        principal = authenticator.authenticate(token, request.headers.get("X-Account-ID"))
        return {"sub": principal.created_by, "account": principal.account}

    class HubBearer(BearerSecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
            return token_info

    return HubBearer


def create_app(settings: Settings) -> AsyncApp:
    """A Connexion app over `settings.data_dir`; settings must have passed `settings.finalize`."""
    hub = Hub(settings)
    app = AsyncApp(
        __name__,
        lifespan=hub.lifespan,
        security_map={"bearer": _bearer_handler(hub.authenticator)},
        validator_map=VALIDATORS,
    )
    app.add_api(
        SPEC,
        base_path="",
        resolver=Resolver(function_resolver=operation_function),
        strict_validation=True,
        pythonic_params=True,
        validate_responses=settings.check_responses,
    )
    errormap.register(app, yaml.safe_load(SPEC.read_text())["paths"])
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            allow_origins=list(settings.allowed_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["Location"],
        )
    app.add_middleware(PathAliases, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(BodyLimit, position=MiddlewarePosition.BEFORE_SWAGGER, limit=MAX_REQUEST_BYTES)
    app.add_middleware(Inject, position=MiddlewarePosition.BEFORE_ROUTING, hub=hub)
    return app
