"""The one error map: every error the app raises leaves as JSON (`Content-Type: application/json`,
or the JSON type its operation documents for it: `application/problem+json`), in the shape the
operation documents for it (`web.errorshapes`: a JSON string in our document);
a 401 with `WWW-Authenticate`, a 413 closing the connection, a 503 with `Retry-After`. The one
answer made elsewhere is the opt-in `429` of `web.ratelimits`, in `text/plain` as the spec
documents it. The handlers run inside Connexion's ExceptionMiddleware: see the pipeline in
`kataven_hub.app`."""

from __future__ import annotations

import json
import logging
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

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
    StorageFull,
    TooLarge,
    Unauthenticated,
    Unavailable,
    Unprocessable,
    Unserved,
)
from kataven_hub.mock.mocker import MockFailure
from kataven_hub.openapi import Operation
from kataven_hub.schemas.satisfy import short
from kataven_hub.storage import faults
from kataven_hub.web.errorshapes import ErrorShapes

log = logging.getLogger(__name__)

STATUS: dict[type[HubError], int] = {
    InvalidInput: 400,
    InvalidAccount: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Unprocessable: 422,
    TooLarge: 413,
    StorageFull: 507,
    Unavailable: 503,
    Unserved: 501,
}


def json_error(
    status: int, message: Any, headers: dict[str, str] | None = None, media_type: str = "application/json"
) -> ConnexionResponse:
    """`message` (a string, or a documented error object) as the JSON body of a `status` answer."""
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    if status == 413:  # stop the client sending the rest: the connection closes after this
        headers = {**(headers or {}), "Connection": "close"}
    return ConnexionResponse(
        status_code=status,
        mimetype=media_type,
        body=json.dumps(message),
        headers=headers or {},
    )


class ErrorMap:
    """The handlers of every error class, answering in the shapes of one document's operations."""

    def __init__(self, operations: list[Operation]) -> None:
        self.shapes = ErrorShapes(operations)

    def register(self, app: AsyncApp) -> None:
        app.add_error_handler(HubError, self._hub_error)
        app.add_error_handler(ProblemException, self._problem)
        app.add_error_handler(HTTPException, self._http)
        app.add_error_handler(MultiPartException, self._malformed_multipart)
        app.add_error_handler(sqlite3.Error, self._database_error)
        app.add_error_handler(OSError, self._os_error)
        app.add_error_handler(MockFailure, self._mock_failure)
        app.add_error_handler(Exception, self._unexpected)

    def _answer(self, request: ConnexionRequest, status: int, message: str, headers: dict[str, str] | None = None) -> ConnexionResponse:
        status = self.shapes.status(request.scope, status)
        return json_error(status, self.shapes.body(request.scope, status, message), headers, self.shapes.media_type(request.scope, status))

    def _hub_error(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, HubError)
        status = next(STATUS[kind] for kind in type(exc).__mro__ if kind in STATUS)
        retry_after = getattr(exc, "retry_after", None)
        return self._answer(request, status, exc.message, {"Retry-After": str(retry_after)} if retry_after else None)

    def _problem(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, ProblemException)
        if exc.status >= 500:
            log.error("server error: %s", short(str(exc.detail)))  # a refused answer quotes its schema
        return self._answer(request, exc.status, str(exc.detail or exc.title), dict(exc.headers or {}))

    def _http(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        """Starlette's 404 and 405. A 405's `Allow` comes from the document: Connexion routes each
        operation separately, so Starlette would list only the methods of the first route whose path
        matched. A 404 whose path fits a template but not a numeric path parameter is a 400."""
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(self.shapes.allowed(request.scope["path"]))
        if exc.status_code == 404 and (wrong := self.shapes.wrong_path_type(request.scope)):
            return self._answer(request, 400, wrong, headers)
        return self._answer(request, exc.status_code, exc.detail, headers)

    def _malformed_multipart(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        over_a_limit = str(exc).startswith(("Too many", "Part exceeded"))  # Starlette's form limits
        return self._answer(request, 400, f"{'' if over_a_limit else 'malformed '}multipart body: {exc}")

    def _database_error(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        log.error("database error: %s", exc, exc_info=exc)  # the client sees none of it: the log keeps it all
        return self._answer(request, 500, "Database error")

    def _mock_failure(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        log.error("mock failure: %s", short(str(exc), 400))
        return self._answer(request, 500, str(exc))

    def _os_error(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        """A file error outside the databases: an upload spooled to the temporary directory of a
        full disk, or past the open-file limit, is the machine's fault as in `storage.faults`."""
        fault = faults.as_error(exc, Path(tempfile.gettempdir()) / "upload")
        return self._hub_error(request, fault) if fault is not None else self._unexpected(request, exc)

    def _unexpected(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        log.exception("unhandled error", exc_info=exc)
        return self._answer(request, 500, "Internal server error")
