"""The app factory: the spec served by Connexion, with our auth, validators, errors and middleware;
operations without a handler are served from the spec (`kataven_hub.mock.mocker`).

The request pipeline, outer to inner, as `pipeline` builds it (a test pins it); `*` marks a layer
that only its setting adds:

    ServerErrorMiddleware          Connexion: a 500 for whatever nothing inside caught
  * CORSMiddleware                 HUB_CORS_ORIGINS or dev: preflights, headers on every answer
  * PathAliases                    web.aliases: the document's x-hub-aliases (ours: /hub-api/…, /v1/…)
  * Console                        web.console: /console/ in dev mode or with --console
  * Recording                      web.recording: --record or dev, what each consumer uses of the document
    ExceptionMiddleware            Connexion: every error below goes through web.errormap
    BodyLimit                      web.bodylimit: 413 before an oversized body is read
  * Latency                        web.latency: dev --latency, every API answer waits
    SpecDocuments                  web.specdocs (Connexion's): /openapi.json, /openapi.yaml, /ui/
    Inject                         web.inject: `hub` into the request context
    Routing                        web.routing (Connexion's): method and path to an operation
    SecurityMiddleware             Connexion, with web.security: who may call the operation
  * RateLimits                     web.ratelimits: --rate-limits, a 429 per account
    RequestValidationMiddleware    Connexion, with openapi.validation: the spec's request rules
    ResponseValidationMiddleware   Connexion: answers checked against the spec (dev, tests)
    LifespanMiddleware             Connexion: start-up and shut-down (Hub.lifespan)
  * Prefer                         web.prefer: dev mode's Prefer header and injected faults
    MockAnswers                    web.mockanswers: the operations the mock serves answered
    ContextMiddleware              Connexion: the context handlers receive
    the operation                  handlers/, or the mock (openapi.routing)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import InvalidSpecification
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.options import SwaggerUIOptions
from starlette.middleware.cors import CORSMiddleware

from kataven_hub import control, openapi
from kataven_hub.campaigns.ingest import MAX_REQUEST_BYTES
from kataven_hub.errors import ConfigurationError
from kataven_hub.hub import Hub
from kataven_hub.mock.mocker import Mocker
from kataven_hub.mock.parents import parents
from kataven_hub.mock.remember import roles
from kataven_hub.openapi import lenient, loader, routing
from kataven_hub.openapi.document import InvalidDocument
from kataven_hub.openapi.oas31 import later
from kataven_hub.openapi.routing import HubResolver
from kataven_hub.openapi.served import View, checked, trusted
from kataven_hub.openapi.served import view as served_view
from kataven_hub.openapi.validation import VALIDATORS, FormURIParser
from kataven_hub.schemas.satisfy import short
from kataven_hub.settings import Settings, environ
from kataven_hub.web.aliases import PathAliases, aliases
from kataven_hub.web.bodylimit import BodyLimit
from kataven_hub.web.console import Console
from kataven_hub.web.errormap import ErrorMap
from kataven_hub.web.inject import Inject
from kataven_hub.web.latency import Latency
from kataven_hub.web.mockanswers import MockAnswers
from kataven_hub.web.prefer import Prefer
from kataven_hub.web.ratelimits import RateLimits
from kataven_hub.web.recording import Recording
from kataven_hub.web.reloading import Reloading
from kataven_hub.web.routing import Routing
from kataven_hub.web.security import security_map, unverified
from kataven_hub.web.specdocs import SpecDocuments, ui_path

log = logging.getLogger(__name__)
STRICT = "x-hub-strict"
"""A document that says `x-hub-strict: true` has query parameters and form fields it does not list
refused; without it they are accepted, as OpenAPI allows."""


class ServedApp(AsyncApp):
    """Connexion's app, knowing the document it serves as written and its operations (dev mode's
    greeting reads them rather than loading the document again)."""

    document: dict[str, Any]
    operations: list[openapi.Operation]


def create_app(settings: Settings, shared: Hub | None = None) -> ServedApp:
    """A Connexion app over `settings.data_dir`; settings must have passed `settings.finalize`.
    ConfigurationError, in one line, if the spec is not valid OpenAPI 3.0. With `shared`, the app
    uses that hub's services (`watching`), which its lifespan does not start."""
    document, repaired, view = _served(settings)
    operations = openapi.operations(repaired)  # the mock and its checks read what Connexion validates with
    schemes = view.document["components"]["securitySchemes"]
    if not settings.dev and (problems := unverified(operations, schemes, environ())):
        raise ConfigurationError(f"{settings.spec}: nothing verifies the security scheme {problems[0]}; or serve with --dev")
    mocker = Mocker(operations, seed=settings.mock_seed)
    hub = Hub(settings, mocker) if shared is None else shared.sharing(mocker)
    itself = settings.spec.resolve() == control.DOCUMENT.resolve()  # the control document, checked as any other
    if itself and not settings.dev:
        raise ConfigurationError(f"{settings.spec}: the control surface is served in dev mode only (--dev)")
    served = [] if itself else routing.routes([op for op in operations if op.operation_id not in view.unserved])
    app = ServedApp(
        __name__,
        lifespan=hub.lifespan,
        middlewares=pipeline(settings, hub, mocker, served, server=lambda: app, aliases=aliases(document),
                             original=None if itself else document),
        security_map=security_map(hub.authenticator, dev=settings.dev),
        validator_map=VALIDATORS,
    )
    with checked() if settings.lenient and not later(document) else trusted():  # 3.0's meta-schema says nothing of a 3.1 view
        _add_apis(app, settings, (document, view), HubResolver(mocker.answer, operations, view.unserved), itself=itself)
    app.document, app.operations = document, operations
    return _finished(app, served, operations)


def watching(settings: Settings) -> Reloading:
    """`hub serve --watch`: the app over the document as it is, built again when the document or a
    file it refers to changes (`web.reloading`); every version shares one hub's services."""
    owner = Hub(settings, Mocker([], seed=settings.mock_seed))
    return Reloading(partial(create_app, settings, owner), owner.services, settings.spec,
                     lenient=settings.lenient, stores=owner.stores)  # fmt: skip


def _add_apis(app: AsyncApp, settings: Settings, documents: tuple[dict[str, Any], View], resolver: HubResolver, *,
              itself: bool) -> None:  # fmt: skip
    """The control surface (dev mode) and the document, as Connexion serves them."""
    document, view = documents
    if settings.dev or itself:  # Connexion routes the longer base path first: /_hub/ is never the main document's
        surface = loader.parse(loader.text(control.DOCUMENT), control.DOCUMENT.name)  # Connexion reads a file in pure-Python YAML, through Jinja: a fifth of a small document's start
        app.add_api(surface, base_path="" if itself else control.BASE_PATH, strict_validation=True,
                    validate_responses=settings.check_responses)  # fmt: skip
    if itself:
        return
    try:
        app.add_api(
            view.document,
            base_path="",
            resolver=resolver,
            strict_validation=bool(document.get(STRICT)),
            pythonic_params=True,
            validate_responses=settings.check_responses,
            uri_parser_class=FormURIParser,
            swagger_ui_options=SwaggerUIOptions(swagger_ui_path=ui_path(document)),
        )
    except InvalidSpecification as err:  # --lenient: a problem outside operations and schemas
        raise ConfigurationError(f"{settings.spec}: Connexion cannot serve it even --lenient: {short(err.message.splitlines()[0], 300)}") from None


def _served(settings: Settings) -> tuple[dict[str, Any], dict[str, Any], View]:
    """The document as written, as served (`--lenient`: repaired, `openapi.lenient.repaired`;
    else the same), and Connexion's view of it; each problem and each change the view makes
    logged once, in a line."""
    try:
        document = openapi.load(settings.spec, lenient=settings.lenient)
    except InvalidDocument as err:
        raise ConfigurationError(f"{err} (serve it anyway with --lenient)") from None
    found = lenient.problems(document) if settings.lenient else []
    repaired = lenient.repaired(document, found)
    view = served_view(repaired, lenient.unservable(document, found), lenient=settings.lenient)
    for line in [str(problem) for problem in found] + view.warnings:
        log.warning("%s: %s", settings.spec.name, short(line, 300))
    return document, repaired, view



def _finished(app: ServedApp, served: list[routing.Route], operations: list[openapi.Operation]) -> ServedApp:
    for route in served:
        if route.served_by in (routing.MOCK, routing.STUB):
            operation = route.operation
            log.info("served from the spec (%s): %s (%s)", route.served_by, operation.label, operation.operation_id)
    ErrorMap(operations).register(app)
    return app


def pipeline(settings: Settings, hub: Hub, mocker: Mocker, served: list[routing.Route], server: Callable[[], Any],
             aliases: dict[str, str], original: dict[str, Any] | None = None) -> list[Any]:  # fmt: skip
    """The middleware stack, outer to inner, as the module's docstring draws it: Connexion's nine
    layers and ours, each with its options, those whose setting is off left out. `server` gives
    the whole app (what a mock asks the resource it is under through); `aliases` the document's
    `x-hub-aliases` (`web.aliases`: the layer is left out without them); `original`, the document
    as written, is what /openapi.json serves (Connexion is given its view, `openapi.served`)."""
    dev = settings.dev
    cors = {
        "allow_origins": list(settings.allowed_origins),
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "expose_headers": ["Location", "X-Hub-Mock"],
    }
    faults = {"mocker": mocker, "error_rate": settings.error_rate, "seed": settings.fault_seed}
    layers: list[tuple[Any, bool, dict[str, Any]]] = [
        (ServerErrorMiddleware, True, {}),
        (CORSMiddleware, bool(settings.allowed_origins), cors),
        (PathAliases, bool(aliases), {"aliases": aliases}),
        (Console, dev or settings.console, {}),
        (Recording, settings.record is not None or dev, {"directory": settings.record, "document": original or {},
                                                         "operations": [route.operation for route in served],
                                                         "accounts": hub.recordings, "authenticator": hub.authenticator}),
        (ExceptionMiddleware, True, {}),
        (BodyLimit, True, {"limit": MAX_REQUEST_BYTES}),
        (Latency, dev and settings.latency_bounds is not None, {"bounds": settings.latency_bounds, "seed": settings.fault_seed}),
        (SpecDocuments, True, {"original": original} if original is not None else {}),
        (Inject, True, {"hub": hub}),
        (Routing, True, {}),
        (SecurityMiddleware, True, {}),
        (RateLimits, settings.rate_limits, {"stores": hub.stores}),
        (RequestValidationMiddleware, True, {}),
        (ResponseValidationMiddleware, True, {}),
        (LifespanMiddleware, True, {}),
        (Prefer, dev, faults),
        (MockAnswers, True, {**mock_answers(served), "mocker": mocker, "stores": hub.stores, "server": server}),
        (ContextMiddleware, True, {}),
    ]
    return [partial(layer, **options) if options else layer for layer, wanted, options in layers if wanted]


def mock_answers(served: list[routing.Route]) -> dict[str, Any]:
    """What the mock serves (`mocked`), remembers (`remembered`, `mock.remember`), and the
    resource a mock or a stub asks for first (`parents`, a read served by a handler or remembered)."""
    mocked = {r.operation.operation_id: r.operation for r in served if r.served_by == routing.MOCK}
    remembered = roles(list(mocked.values()))
    knowing = [r.operation for r in served if r.served_by not in (routing.MOCK, routing.STUB)]
    knowing += [mocked[operation_id] for operation_id, role in remembered.items() if role.kind == "read"]
    found = parents([r.operation for r in served if r.served_by in (routing.MOCK, routing.STUB)], knowing)
    return {"mocked": mocked, "remembered": remembered, "parents": found}
