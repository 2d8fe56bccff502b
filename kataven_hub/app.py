"""The app factory: the spec served by Connexion, with our auth, validators, errors and middleware;
operations without a handler are served from the spec (`kataven_hub.mocking`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from connexion import AsyncApp
from connexion.middleware import MiddlewarePosition
from connexion.security import BearerSecurityHandler
from starlette.middleware.cors import CORSMiddleware

from kataven_hub import errormap, routing, spec
from kataven_hub.auth import Authenticator
from kataven_hub.hub import Hub
from kataven_hub.ingest import MAX_REQUEST_BYTES
from kataven_hub.middleware import BodyLimit, Console, Inject, PathAliases
from kataven_hub.mocking import Latency, Mocker, Prefer
from kataven_hub.ratelimits import RateLimits
from kataven_hub.routing import HubResolver
from kataven_hub.settings import Settings
from kataven_hub.validation import VALIDATORS, FormURIParser

log = logging.getLogger(__name__)


def _bearer_handler(authenticator: Authenticator) -> type[BearerSecurityHandler]:
    def token_info(token: str, request: Any) -> dict[str, str]:
        principal = authenticator.authenticate(token, request.headers.get("X-Account-ID"))
        return {"sub": principal.created_by, "account": principal.account}

    class HubBearer(BearerSecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
            return token_info

    return HubBearer


def create_app(settings: Settings) -> AsyncApp:
    """A Connexion app over `settings.data_dir`; settings must have passed `settings.finalize`.
    ConfigurationError, in one line, if the spec is not valid OpenAPI 3.0."""
    document = spec.load(settings.spec)
    operations = spec.operations(document)
    mocker = Mocker(operations)
    hub = Hub(settings, mocker)
    app = AsyncApp(
        __name__,
        lifespan=hub.lifespan,
        security_map={"bearer": _bearer_handler(hub.authenticator)},
        validator_map=VALIDATORS,
    )
    app.add_api(
        document,
        base_path="",
        resolver=HubResolver(mocker),
        strict_validation=True,
        pythonic_params=True,
        validate_responses=settings.check_responses,
        uri_parser_class=FormURIParser,
    )
    for route in routing.routes(operations):
        if route.served_by in (routing.MOCK, routing.STUB):
            operation = route.operation
            log.info("served from the spec (%s): %s (%s)", route.served_by, operation.label, operation.operation_id)
    errormap.register(app, document["paths"])
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            allow_origins=list(settings.allowed_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["Location", "X-Hub-Mock"],
        )
    app.add_middleware(PathAliases, position=MiddlewarePosition.BEFORE_EXCEPTION)
    if settings.dev or settings.console:
        app.add_middleware(Console, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(BodyLimit, position=MiddlewarePosition.BEFORE_SWAGGER, limit=MAX_REQUEST_BYTES)
    app.add_middleware(Inject, position=MiddlewarePosition.BEFORE_ROUTING, hub=hub)
    if settings.rate_limits:  # after auth, which names the account
        app.add_middleware(RateLimits, position=MiddlewarePosition.BEFORE_VALIDATION, stores=hub.stores)
    if settings.dev:  # forced answers (Prefer: code=…) come after routing, auth and validation
        faults = {"error_rate": settings.error_rate, "seed": settings.fault_seed}
        app.add_middleware(Prefer, position=MiddlewarePosition.BEFORE_CONTEXT, mocker=mocker, **faults)
    if settings.dev and settings.latency_bounds:  # every API answer waits, errors included
        app.add_middleware(
            Latency, position=MiddlewarePosition.BEFORE_SWAGGER, bounds=settings.latency_bounds, seed=settings.fault_seed
        )
    return app
