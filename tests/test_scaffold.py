"""The stub `hub scaffold` writes: the signature Connexion calls it with, and a docstring that is
the operation's summary whatever characters it holds."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from kataven_hub.errors import ConfigurationError
from kataven_hub.openapi import Operation
from kataven_hub.openapi import scaffold as scaffold_module
from kataven_hub.openapi.routing import MOCK, Route
from kataven_hub.openapi.scaffold import HUB_IMPORT, parameters, stub


def _operation(summary: str = "Do it", **definition: Any) -> Operation:
    return Operation("postApiV1ThingsId", "post", "/api/v1/things/{id}", "Things",
                     {"summary": summary, "security": [], "parameters": [], **definition})  # fmt: skip


@pytest.mark.parametrize("summary", ['Say "hi"', "back\\slash", 'a """ b', "it's", "ünïcode"])
def test_the_docstring_is_the_summary_as_written(summary: str) -> None:
    definition = ast.parse(stub(_operation(summary))).body[0]
    assert isinstance(definition, ast.AsyncFunctionDef) and ast.get_docstring(definition) == summary


def test_the_signature_is_what_connexion_passes() -> None:
    operation = _operation(
        security=[{"bearerAuth": []}],
        parameters=[
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "pageSize", "in": "query", "schema": {"type": "integer", "default": 10}},
            {"name": "from", "in": "query", "required": True, "schema": {"type": "string"}},
            {"name": "X-Account-ID", "in": "header", "schema": {"type": "string"}},
        ],
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": {"name": {"type": "string"}, "file": {"type": "string", "format": "binary"}},
        }}}},
    )  # fmt: skip
    assert parameters(operation) == [
        "hub: Hub", "token_info: dict[str, str]", "id_: str", "from_: str", "body: dict[str, object]",
        "page_size: int | None = 10", "file: object = None",
    ]  # fmt: skip


def test_an_unsecured_operation_without_a_body_gets_hub_only() -> None:
    optional_body = {"content": {"application/json": {"schema": {"type": "array"}}}}
    assert parameters(_operation()) == ["hub: Hub"]
    assert parameters(_operation(requestBody=optional_body)) == ["hub: Hub", "body: list[object] | None = None"]


def test_a_stub_mypy_would_refuse_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A document whose default breaks its own type (`integer`, default "ten") gives a signature
    mypy refuses: one line, and the handlers package is left as it was."""
    monkeypatch.setattr(scaffold_module, "handlers_dir", lambda: tmp_path)
    operation = _operation(parameters=[{"name": "size", "in": "query", "schema": {"type": "integer", "default": "ten"}}])
    with pytest.raises(ConfigurationError, match=r"^hub scaffold: mypy refuses what it would write: .*size.*nothing written$"):
        scaffold_module.scaffold([Route(operation, MOCK, None)])
    assert list(tmp_path.iterdir()) == []


def test_a_stub_that_type_checks_is_accepted() -> None:
    assert scaffold_module.type_errors({Path("things.py"): HUB_IMPORT + "\n\n\n" + stub(_operation())}) is None
