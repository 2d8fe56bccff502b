"""What the corpus's documents say and clients send, read as they mean it: an optional query
parameter sent empty where the document allows it, `nullable` beside a composition, the text
`null` for a header that takes null, errors in the JSON type the operation documents, OpenAPI's
own `date` and an absolute `uri` checked in 3.0 answers, and the document served as written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from starlette.testclient import TestClient

from kataven_hub.app import create_app
from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.dialect import FORMATS, RequestValidator
from tests.conftest import make_settings

OK = {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}
PROBLEM = {"application/problem+json": {"schema": {"type": "object", "properties": {"title": {"type": "string"}}}}}
STATUS = {"type": "object", "required": ["state"], "properties": {"state": {"type": "string"}}}


def _document(tmp_path: Path, paths: dict[str, Any]) -> Path:
    document = {"openapi": "3.0.3", "info": {"title": "habits", "version": "1"}, "paths": paths,
                "components": {"schemas": {"Status": STATUS}}}  # fmt: skip
    path = tmp_path / "habits.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@contextmanager
def _served(tmp_path: Path, paths: dict[str, Any]) -> Iterator[TestClient]:
    settings = make_settings(tmp_path / "data", spec=_document(tmp_path, paths), dev=True)
    with create_app(settings).test_client(raise_server_exceptions=False) as client:
        yield client


def test_an_optional_query_parameter_that_allows_an_empty_value_may_be_sent_empty(tmp_path: Path) -> None:
    flag = {"in": "query", "schema": {"type": "boolean"}}
    with _served(tmp_path, {"/things": {"get": {"parameters": [
        {"name": "pretty", "allowEmptyValue": True, **flag}, {"name": "strict", **flag},
    ], "responses": OK}}}) as client:  # fmt: skip
        assert client.get("/things?pretty=").status_code == 200
        assert client.get("/things?pretty=true").status_code == 200
        assert client.get("/things?pretty=maybe").status_code == 400
        assert client.get("/things?strict=").status_code == 400  # no allowEmptyValue: a boolean it is not


def test_an_array_query_parameter_sent_empty_is_an_empty_list(tmp_path: Path) -> None:
    fields = {"name": "fields", "in": "query", "style": "form", "explode": False,
              "schema": {"type": "array", "items": {"type": "string", "enum": ["id", "title"]}}}  # fmt: skip
    with _served(tmp_path, {"/things": {"get": {"parameters": [fields], "responses": OK}}}) as client:
        assert client.get("/things?fields=").status_code == 200
        assert client.get("/things?fields=id,title").status_code == 200
        assert client.get("/things?fields=id,").status_code == 400  # an empty item is not one of them


def test_nullable_beside_a_composition_takes_null(tmp_path: Path) -> None:
    body = {"type": "object", "properties": {
        "status": {"nullable": True, "allOf": [{"$ref": "#/components/schemas/Status"}]},
        "strict": {"allOf": [{"$ref": "#/components/schemas/Status"}]},
    }}  # fmt: skip
    with _served(tmp_path, {"/things": {"post": {
        "requestBody": {"content": {"application/json": {"schema": body}}}, "responses": OK}}}) as client:  # fmt: skip
        assert client.post("/things", json={"status": None}).status_code == 200
        assert client.post("/things", json={"status": {"state": "on"}}).status_code == 200
        assert client.post("/things", json={"status": {}}).status_code == 400
        assert client.post("/things", json={"strict": None}).status_code == 400


def test_the_text_null_is_null_for_a_header_that_takes_null_and_no_text(tmp_path: Path) -> None:
    with _served(tmp_path, {"/things": {"get": {"parameters": [
        {"name": "X-Status", "in": "header", "schema": {"nullable": True, "oneOf": [{"$ref": "#/components/schemas/Status"}]}},
        {"name": "X-Name", "in": "header", "schema": {"type": "string", "nullable": True, "maxLength": 3}},
    ], "responses": OK}}}) as client:  # fmt: skip
        assert client.get("/things", headers={"X-Status": "null"}).status_code == 200
        assert client.get("/things", headers={"X-Name": "null"}).status_code == 400  # text: four characters


def test_an_error_answer_has_the_json_type_its_operation_documents(tmp_path: Path) -> None:
    with _served(tmp_path, {
        "/problems": {"get": {"parameters": [{"name": "n", "in": "query", "schema": {"type": "integer"}}],
                              "responses": {**OK, "400": {"description": "bad", "content": PROBLEM}}}},
        "/plain": {"get": {"parameters": [{"name": "n", "in": "query", "schema": {"type": "integer"}}], "responses": OK}},
    }) as client:  # fmt: skip
        refused = client.get("/problems?n=x")
        assert refused.status_code == 400 and refused.headers["content-type"] == "application/problem+json"
        assert "n" in refused.json()["title"]
        plain = client.get("/plain?n=x")
        assert plain.status_code == 400 and plain.headers["content-type"] == "application/json"


def test_openapi_date_and_an_absolute_uri_are_checked_in_a_3_0_answer() -> None:
    day, link = {"type": "string", "format": "date"}, {"type": "string", "format": "uri"}
    assert answer_errors(day, "2026-12-03") is None and answer_errors(day, "2026-12-03T10:00:00Z") is not None
    assert answer_errors(link, "https://example.com/a") is None and answer_errors(link, "example.com") is not None


def test_a_documented_example_that_breaks_its_format_is_not_answered(tmp_path: Path) -> None:
    day = {"type": "object", "required": ["on"], "properties": {"on": {"type": "string", "format": "date", "example": "2025-10-15T13:51:00Z"}}}
    with _served(tmp_path, {"/days": {"get": {"responses": {"200": {
        "description": "ok", "content": {"application/json": {"schema": day}}}}}}}) as client:  # fmt: skip
        answer = client.get("/days").json()
    assert answer_errors(day, answer) is None, answer


def test_the_document_is_served_as_written_its_references_kept(tmp_path: Path) -> None:
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}
    with _served(tmp_path, {"/things": {"post": {"requestBody": body, "responses": OK}}}) as client:
        served = client.get("/openapi.json").json()
    assert served["paths"]["/things"]["post"]["requestBody"] == body
    assert served["components"]["schemas"]["Status"] == STATUS and served["servers"] == [{"url": ""}]


def test_a_required_that_is_not_a_list_is_no_rule_not_a_crash() -> None:
    """`required: true` on a property, a Swagger 2 habit (Directus's document, served --lenient)."""
    schema = {"type": "object", "properties": {"fields": {"type": "array", "required": True}}, "required": True}
    assert RequestValidator(schema, format_checker=FORMATS).is_valid({"fields": []})
    assert answer_errors(schema, {"fields": 1}) is not None


def test_an_optional_form_body_left_out_is_not_checked(tmp_path: Path) -> None:
    """Box's token revocation: an optional form body whose schema requires a field."""
    form = {"type": "object", "required": ["grant_type"], "properties": {"token": {"type": "string"}}}
    with _served(tmp_path, {"/revoke": {"post": {
        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": form}}}, "responses": OK}}}) as client:  # fmt: skip
        assert client.post("/revoke").status_code == 200
        assert client.post("/revoke", data={"token": "t"}).status_code == 400
        assert client.post("/revoke", data={"token": "t", "grant_type": "g"}).status_code == 200


def test_an_answer_documented_under_a_media_range_is_sent_as_a_real_type(tmp_path: Path) -> None:
    """People Generator's `*/*`: a media range is no Content-Type; JSON is sent (text/plain for `text/*`)."""
    with _served(tmp_path, {
        "/any": {"get": {"responses": {"200": {"description": "ok", "content": {"*/*": {"schema": {"type": "string", "example": "O+"}}}}}}},
        "/text": {"get": {"responses": {"200": {"description": "ok", "content": {"text/*": {"schema": {"type": "string", "example": "O+"}}}}}}},
    }) as client:  # fmt: skip
        anything, text = client.get("/any"), client.get("/text")
    assert anything.headers["content-type"].startswith("application/json") and anything.json() == "O+"
    assert text.headers["content-type"].startswith("text/plain") and text.text == "O+"
