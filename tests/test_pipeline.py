"""The request pipeline as built, and the wire shape of every domain error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kataven_hub import app as app_module
from kataven_hub import errors
from kataven_hub.app import create_app
from kataven_hub.web.errormap import STATUS, json_error
from tests.conftest import make_settings

CONNEXION = [
    "ServerErrorMiddleware", "ExceptionMiddleware", "SpecDocuments", "Routing", "SecurityMiddleware",
    "RequestValidationMiddleware", "ResponseValidationMiddleware", "LifespanMiddleware", "ContextMiddleware",
]  # fmt: skip

EVERY_LAYER = [
    "ServerErrorMiddleware", "CORSMiddleware", "PathAliases", "Console", "Recording", "ExceptionMiddleware", "BodyLimit", "Latency",
    "SpecDocuments", "Inject", "Routing", "SecurityMiddleware", "RateLimits",
    "RequestValidationMiddleware", "ResponseValidationMiddleware", "LifespanMiddleware", "Prefer", "MockAnswers",
    "ContextMiddleware",
]  # fmt: skip
"""The stack with every optional layer on, outer to inner."""


def _stack(tmp_path: Path, **settings: object) -> list[str]:
    """The middleware classes of a built app, outer to inner, as Connexion built them."""
    app = create_app(make_settings(tmp_path / "data", **settings))
    with TestClient(app) as client:
        client.get("/openapi.json")  # the stack is built on the first request
    stack = app.middleware.middleware_stack
    assert stack is not None
    return [type(layer).__name__ for layer in stack][:-1]  # the last one is the app itself


def test_the_stack_is_the_one_the_docstring_draws(tmp_path: Path) -> None:
    assert _stack(tmp_path) == [
        "ServerErrorMiddleware", "PathAliases", "ExceptionMiddleware", "BodyLimit", "SpecDocuments", "Inject",
        "Routing", "SecurityMiddleware", "RequestValidationMiddleware", "ResponseValidationMiddleware",
        "LifespanMiddleware", "MockAnswers", "ContextMiddleware",
    ]  # fmt: skip


def test_every_optional_layer_in_its_place(tmp_path: Path) -> None:
    stack = _stack(tmp_path, dev=True, rate_limits=True, latency="5", record=tmp_path / "consumers")  # dev mode answers CORS for any origin
    assert stack == EVERY_LAYER
    assert [name for name in stack if name in CONNEXION] == CONNEXION


def test_the_docstring_draws_the_same_stack() -> None:
    drawn = re.findall(r"^  [ *] (\w+)  ", app_module.__doc__ or "", flags=re.MULTILINE)
    assert drawn == EVERY_LAYER


DOMAIN_ERRORS = [kind for kind in vars(errors).values() if isinstance(kind, type) and issubclass(kind, errors.HubError)]


@pytest.mark.parametrize("kind", [k for k in DOMAIN_ERRORS if k is not errors.HubError], ids=lambda k: k.__name__)
def test_every_domain_error_has_a_status_and_leaves_as_a_json_string(kind: type[errors.HubError]) -> None:
    status = next(STATUS[base] for base in kind.__mro__ if base in STATUS)
    response = json_error(status, kind("what went wrong").message)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.body == '"what went wrong"'
