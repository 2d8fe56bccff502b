"""A broken component schema served `--lenient` (tests/specs/invalid/broken-schema.yaml): the
operations that use it, in a response or a request body, are still served, their bodies drawn
from the repaired schema (one any value satisfies): never a 500, never a traceback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from kataven_hub import openapi
from kataven_hub.app import create_app
from kataven_hub.openapi.lenient import mended, problems, repaired
from support.servers import serving
from tests.conftest import make_settings

DOCUMENT = Path(__file__).parent / "specs" / "invalid" / "broken-schema.yaml"
CALLS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "listAnimals": ("GET", "/animals", {}),
    "addAnimal": ("POST", "/animals", {"json": {"name": "Rex", "legs": 4}}),
    "getAnimal": ("GET", "/animals/3", {}),
}
"""A call of every operation of the document (a test checks none is missing)."""


def _documented(operation_id: str, status: int) -> bool:
    operations = {op.operation_id: op for op in openapi.operations(openapi.load(DOCUMENT, lenient=True))}
    return str(status) in operations[operation_id].definition["responses"]


def test_every_operation_of_the_document_is_called() -> None:
    assert {op.operation_id for op in openapi.operations(openapi.load(DOCUMENT, lenient=True))} == set(CALLS)


def test_operations_using_a_broken_schema_answer_a_documented_status(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(tmp_path / "data", spec=DOCUMENT, dev=True, lenient=True)
    with caplog.at_level(logging.WARNING), create_app(settings).test_client(raise_server_exceptions=False) as client:
        answers = {operation_id: client.request(method, path, **kwargs) for operation_id, (method, path, kwargs) in CALLS.items()}
    assert {operation_id: answer.status_code for operation_id, answer in answers.items()} == {
        "listAnimals": 200, "addAnimal": 201, "getAnimal": 404}  # fmt: skip
    assert {"id", "animal"} <= set(answers["addAnimal"].json())  # the schema around the broken one still holds
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage()[:200] for r in caplog.records]


@pytest.mark.live
def test_over_real_http_no_operation_answers_500_nor_logs_a_traceback(tmp_path: Path) -> None:
    with serving(tmp_path / "data", {}, "--dev", "--lenient", "--spec", str(DOCUMENT)) as (base, log):
        statuses = {operation_id: httpx.request(method, base + path, **kwargs).status_code
                    for operation_id, (method, path, kwargs) in CALLS.items()}  # fmt: skip
        written = log.read_text()
    assert all(_documented(operation_id, status) for operation_id, status in statuses.items()), statuses
    assert 500 not in statuses.values(), statuses
    assert "Traceback" not in written, written[written.find("Traceback") :][:2000]
    assert "invalid OpenAPI at $.components.schemas.Animal" in written


def test_only_the_part_of_a_3_0_schema_its_meta_schema_refuses_is_replaced() -> None:
    """Blockfrost's habit: a 3.1 `type: "null"` deep in a 3.0 schema. Only that part is replaced
    (by one anything satisfies); the rules around it still hold."""
    schema = {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "string"}, "meta": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}}  # fmt: skip
    repaired = mended(schema)
    assert repaired["items"]["properties"]["meta"] == {"anyOf": [{"type": "string"}, {}]}
    assert repaired["items"]["required"] == ["id"] and repaired["items"]["properties"]["id"] == {"type": "string"}
    assert mended({"type": "animal"}) == {} and mended({"$ref": "#/components/schemas/X"}) == {"$ref": "#/components/schemas/X"}


def test_a_3_1_document_served_lenient_is_checked_as_3_1(tmp_path: Path) -> None:
    """Its `type: "null"` is no problem (it was one when every document was checked as 3.0, and
    the schema holding it was replaced); its path parameter the template lacks still is."""
    nullable = {"type": "object", "properties": {"note": {"type": ["string", "null"]}, "gone": {"type": "null"}}}
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "components": {"schemas": {"Pet": nullable}},
                "paths": {"/pets/{id}": {"get": {"parameters": [{"name": "petId", "in": "path", "required": True,
                                                                  "schema": {"type": "string"}}],
                                                 "responses": {"200": {"description": "ok"}}}}}}  # fmt: skip
    found = problems(document)
    assert {problem.place for problem in found} == {"$.paths['/pets/{id}'].get"}, found
    assert repaired(document, found)["components"]["schemas"]["Pet"] == nullable
