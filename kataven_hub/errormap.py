"""The one error map: every error leaves as a JSON string with `Content-Type: application/json`."""

from __future__ import annotations

import json
import logging
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
)

log = logging.getLogger(__name__)

STATUS: dict[type[HubError], int] = {
    InvalidInput: 400,
    InvalidAccount: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
}


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> ConnexionResponse:
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return ConnexionResponse(
        status_code=status,
        mimetype="application/json",
        body=json.dumps(message),
        headers=headers or {},
    )


def _hub_error(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, HubError)
    status = next(STATUS[kind] for kind in type(exc).__mro__ if kind in STATUS)
    return json_error(status, exc.message)


def _problem(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, ProblemException)
    if exc.status >= 500:
        log.error("server error: %s", exc.detail)
    return json_error(exc.status, str(exc.detail or exc.title), dict(exc.headers or {}))


def _http_exception(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, HTTPException)
    return json_error(exc.status_code, exc.detail, dict(exc.headers or {}))


def _malformed_multipart(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    return json_error(400, f"malformed multipart body: {exc}")


def _database_error(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    log.error("database error: %s", exc)
    return json_error(500, "Database error")


def _unexpected(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    log.exception("unhandled error", exc_info=exc)
    return json_error(500, "Internal server error")


def register(app: AsyncApp) -> None:
    app.add_error_handler(HubError, _hub_error)
    app.add_error_handler(ProblemException, _problem)
    app.add_error_handler(HTTPException, _http_exception)
    app.add_error_handler(MultiPartException, _malformed_multipart)
    app.add_error_handler(sqlite3.Error, _database_error)
    app.add_error_handler(Exception, _unexpected)
