"""The one error map: every error the app raises leaves as a JSON string with `Content-Type:
application/json` (a 401 with `WWW-Authenticate`, a 413 closing the connection, a 503 with
`Retry-After`). The one answer made elsewhere is the opt-in `429` of `web.ratelimits`, in
`text/plain` as the spec documents it. The handlers run inside Connexion's ExceptionMiddleware:
see the pipeline in `kataven_hub.app`."""

from __future__ import annotations

import json
import logging
import re
import sqlite3

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from kataven_hub.errors import (
    Conflict,
    Forbidden,
    HubError,
    InvalidAccount,
    InvalidInput,
    NotFound,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from kataven_hub.spec.mocking import MockFailure

log = logging.getLogger(__name__)
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

STATUS: dict[type[HubError], int] = {
    InvalidInput: 400,
    InvalidAccount: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Unavailable: 503,
}


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> ConnexionResponse:
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    if status == 413:  # stop the client sending the rest: the connection closes after this
        headers = {**(headers or {}), "Connection": "close"}
    return ConnexionResponse(
        status_code=status,
        mimetype="application/json",
        body=json.dumps(message),
        headers=headers or {},
    )


def _hub_error(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, HubError)
    status = next(STATUS[kind] for kind in type(exc).__mro__ if kind in STATUS)
    retry_after = getattr(exc, "retry_after", None)
    return json_error(status, exc.message, {"Retry-After": str(retry_after)} if retry_after else None)


def _problem(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, ProblemException)
    if exc.status >= 500:
        log.error("server error: %s", exc.detail)
    return json_error(exc.status, str(exc.detail or exc.title), dict(exc.headers or {}))


class _AllowedMethods:
    """A 405's `Allow` from the spec: Connexion routes each operation separately, so Starlette
    would list only the methods of the first route whose path matched."""

    def __init__(self, paths: dict[str, dict[str, object]]) -> None:
        self._paths = [
            (re.compile(re.sub(r"\{[^/}]+\}", "[^/]+", template) + "$"), sorted(m.upper() for m in item if m in _METHODS))
            for template, item in paths.items()
        ]

    def __call__(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            path = request.scope["path"]
            methods = next((m for pattern, m in self._paths if pattern.match(path)), [])
            headers["Allow"] = ", ".join(methods)
        return json_error(exc.status_code, exc.detail, headers)


def _malformed_multipart(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    over_a_limit = str(exc).startswith(("Too many", "Part exceeded"))  # Starlette's form limits
    return json_error(400, f"{'' if over_a_limit else 'malformed '}multipart body: {exc}")


def _database_error(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    log.error("database error: %s", exc, exc_info=exc)  # the client sees none of it: the log keeps it all
    return json_error(500, "Database error")


def _mock_failure(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    return json_error(500, str(exc))


def _unexpected(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    log.exception("unhandled error", exc_info=exc)
    return json_error(500, "Internal server error")


def register(app: AsyncApp, paths: dict[str, dict[str, object]]) -> None:
    """Send every error through the map; `paths` is the spec's, for the `Allow` of a 405."""
    app.add_error_handler(HubError, _hub_error)
    app.add_error_handler(ProblemException, _problem)
    app.add_error_handler(HTTPException, _AllowedMethods(paths))
    app.add_error_handler(MultiPartException, _malformed_multipart)
    app.add_error_handler(sqlite3.Error, _database_error)
    app.add_error_handler(MockFailure, _mock_failure)
    app.add_error_handler(Exception, _unexpected)
