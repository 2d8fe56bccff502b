"""OpenAPI 3.1 served: every keyword JSON Schema 2020-12 adds is enforced in what clients send
(tests/specs/keywords31.yaml), 3.0's schemas mean what they meant, the document is served as
written, and what this server cannot serve is refused in one line naming its place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from kataven_hub import openapi
from kataven_hub.app import create_app
from kataven_hub.errors import ConfigurationError
from kataven_hub.schemas.dialect import FORMATS, MARK, AnswerValidator, RequestValidator, marked
from tests.conftest import make_settings
from tests.helpers import SPECS

KEYWORDS = SPECS / "keywords31.yaml"
SHAPE = {"kind": "polygon", "name": "square", "size": 2}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path / "data", spec=KEYWORDS, dev=True)
    with create_app(settings).test_client() as served:
        yield served


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"kind": "circle"}, "'polygon' was expected - 'kind'"),  # const
        ({"name": "octagonal"}, "'octagonal' is too long - 'name'"),  # a $ref's sibling
        ({"name": ""}, "'' should be non-empty - 'name'"),  # what the $ref names
        ({"size": 0}, "0 is less than or equal to the minimum of 0 - 'size'"),  # numeric exclusiveMinimum
        ({"label": 3}, "3 is not of type 'string', 'null' - 'label'"),  # a type list
        ({"corner": [1, 2, 3]}, "Expected at most 2 items but found 1 extra: 3 - 'corner'"),  # prefixItems, items: false
        ({"colour": "red"}, "'shade' is a dependency of 'colour'"),  # dependentRequired
        ({"sides": 3, "angles": [60, 60, 60, 60]}, "[60, 60, 60, 60] is too long - 'angles'"),  # if/then
        ({"extra": 1}, "Unevaluated properties are not allowed ('extra' was unexpected)"),  # unevaluatedProperties
    ],
    ids=["const", "$ref sibling", "$ref target", "exclusiveMinimum", "type list", "prefixItems", "dependentRequired",
         "if-then", "unevaluatedProperties"],
)  # fmt: skip
def test_each_keyword_of_2020_12_refuses_a_body_that_breaks_it(client: TestClient, change: dict[str, Any], says: str) -> None:
    refused = client.post("/shapes", json={**SHAPE, **change})
    assert (refused.status_code, refused.json()) == (400, says)


@pytest.mark.parametrize(
    "change",
    [{}, {"label": None}, {"label": "x"}, {"corner": [0, 1.5]}, {"colour": "red", "shade": "dark"},
     {"sides": 4, "angles": [90, 90, 90, 90]}],
    ids=["least", "null label", "label", "corner", "colour and shade", "if without then"],
)  # fmt: skip
def test_a_body_each_keyword_allows_is_taken(client: TestClient, change: dict[str, Any]) -> None:
    assert client.post("/shapes", json={**SHAPE, **change}).status_code == 201


def test_parameters_of_a_path_item_in_components_are_read_by_their_type_lists(client: TestClient) -> None:
    assert client.get("/shapes/0").json() == "id: 0 is less than or equal to the minimum of 0"
    assert client.get("/shapes/3", params={"scale": "10"}).json() == "scale: 10.0 is greater than or equal to the maximum of 10"
    assert client.get("/shapes/3", params={"scale": "ten"}).json() == "scale: 'ten' is not of type 'number', 'null'"


def test_a_file_field_said_with_content_media_type_takes_an_upload(client: TestClient) -> None:
    assert client.post("/uploads", files={"file": ("a.bin", b"\x00\x01")}).status_code == 204
    assert client.post("/uploads", files={"file": ("a.bin", b"1"), "note": (None, "a" * 11)}).json() == "note: 'aaaaaaaaaaa' is too long"
    assert client.post("/uploads", files={"note": (None, "a")}).json() == "'file' is a required property"


def test_the_document_is_served_as_written(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    assert served.pop("servers") == [{"url": ""}]  # Connexion's, where the document has none
    assert served == yaml.safe_load(KEYWORDS.read_text())  # its version, $refs with their siblings, webhooks


@pytest.mark.parametrize(
    ("schema", "valid", "invalid"),
    [
        ({"type": "string", "nullable": True}, None, 3),
        ({"type": "integer", "minimum": 5, "exclusiveMinimum": True}, 6, 5),
        ({"type": "integer", "maximum": 5, "exclusiveMaximum": False}, 5, 6),
        ({"type": "integer", "exclusiveMaximum": 5}, 4, 5),
        ({"type": "integer"}, 1, 1.0),
        ({"enum": ["a"], "nullable": True}, None, "b"),
    ],
    ids=["3.0 nullable", "3.0 exclusive", "3.0 inclusive", "2020-12 exclusive", "1.0 no integer", "3.0 nullable enum"],
)  # fmt: skip
def test_one_validator_reads_3_0_and_2020_12_each_as_written(schema: dict[str, Any], valid: Any, invalid: Any) -> None:
    for validator in (RequestValidator, AnswerValidator):
        checker = validator(schema, format_checker=FORMATS)
        assert checker.is_valid(valid) and not checker.is_valid(invalid)


def test_an_answer_refuses_a_write_only_field_but_does_not_require_it() -> None:
    schema = {"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string", "writeOnly": True}}}
    assert AnswerValidator(schema).is_valid({}) and not AnswerValidator(schema).is_valid({"secret": "x"})
    assert not RequestValidator(schema).is_valid({})


def _document(**extra: Any) -> str:
    return yaml.safe_dump({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, **extra})


_TREE = {"$dynamicAnchor": "node", "type": "object"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (_document(jsonSchemaDialect="http://json-schema.org/draft-07/schema#"),
         "#/jsonSchemaDialect: schemas in 'http://json-schema.org/draft-07/schema#' are not supported (JSON Schema 2020-12 only)"),
        (_document(components={"schemas": {"Tree": _TREE}}),
         "#/components/schemas/Tree/$dynamicAnchor: dynamic references ($dynamicAnchor) are not supported"),
        (_document(components={"schemas": {"A": {"$ref": "#node"}}}),
         "#/components/schemas/A/$ref: '#node': only references to a place in the document (#/...) are supported"),
        (_document(components={"schemas": {"A": {"$schema": "http://json-schema.org/draft-04/schema#"}}}),
         "#/components/schemas/A/$schema: schemas in 'http://json-schema.org/draft-04/schema#' are not supported"),
        (_document(paths={"/q": {"query": {"responses": {"200": {"description": "ok"}}}}}).replace("3.1.0", "3.2.0"),
         "#/paths/~1q/query: OpenAPI 3.2's QUERY method is not supported"),
    ],
    ids=["dialect", "$dynamicAnchor", "anchor $ref", "$schema", "3.2 QUERY"],
)  # fmt: skip
def test_what_is_not_served_is_refused_in_one_line_naming_its_place(text: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        openapi.load_text(text, "theirs.yaml")
    assert str(refused.value).startswith(f"theirs.yaml: {says}") and "\n" not in str(refused.value)


def test_a_property_named_query_is_no_method() -> None:
    schema = {"type": "object", "properties": {"query": {"type": "string"}}}
    assert openapi.load_text(_document(components={"schemas": {"Search": schema}}), "theirs.yaml")


def test_swagger_ui_moves_out_of_the_way_of_a_documents_own_ui_paths(tmp_path: Path) -> None:
    document = yaml.safe_load(KEYWORDS.read_text())
    document["paths"]["/ui/shapes"] = document["paths"].pop("/shapes")
    spec = tmp_path / "ui.yaml"
    spec.write_text(yaml.safe_dump(document))
    with create_app(make_settings(tmp_path / "data", spec=spec, dev=True)).test_client() as client:
        assert client.post("/ui/shapes", json={**SHAPE, "kind": "circle"}).json() == "'polygon' was expected - 'kind'"
        assert "swagger-ui" in client.get("/docs/").text


def test_a_3_1_schema_takes_a_whole_float_as_an_integer_and_checks_2020_12_formats() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "day": {"type": "string", "format": "date"}}}
    as_3_1 = RequestValidator(marked(schema), format_checker=FORMATS)
    as_3_0 = RequestValidator(schema, format_checker=FORMATS)
    assert as_3_1.is_valid({"n": 8.0, "day": "2026-12-03"}) and not as_3_1.is_valid({"day": "AAA"})
    assert not as_3_1.is_valid({"n": 8.5})
    assert not as_3_0.is_valid({"n": 8.0}) and not as_3_0.is_valid({"day": "AAA"})  # 3.0's integers are Draft 4's; its `date` is OpenAPI's
    assert as_3_0.is_valid({"day": "2026-12-03"})


def test_what_looks_like_a_schema_in_data_is_not_marked() -> None:
    example = {"type": "dog", "format": "short"}
    document = marked({"schema": {"type": "object", "example": example, "properties": {"example": {"type": "string"}}}})
    assert document["schema"]["example"] == example and document["schema"]["properties"]["example"][MARK] is True


_WEIGHTS = {
    "openapi": "3.1.0",
    "info": {"title": "Weights", "version": "1"},
    "paths": {
        "/weights/{kilograms}": {
            "post": {
                "operationId": "weigh",
                "parameters": [{"name": "kilograms", "in": "path", "required": True, "schema": {"type": "number"}}],
                "requestBody": {"content": {"multipart/form-data": {"schema": {
                    "type": "object", "properties": {"note": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}}}}},
                "responses": {"204": {"description": "Weighed."}, "422": {"description": "Refused.", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}}}},
            }
        }
    },
}  # fmt: skip


@pytest.fixture
def weights(tmp_path: Path) -> Iterator[TestClient]:
    spec = tmp_path / "weights.yaml"
    spec.write_text(yaml.safe_dump(_WEIGHTS))
    with create_app(make_settings(tmp_path / "data", spec=spec, dev=True)).test_client() as served:
        yield served


def test_a_refused_request_answers_422_where_the_operation_documents_422_and_no_400(weights: TestClient) -> None:
    refused = weights.post("/weights/heavy", files={"note": (None, "x")})
    assert (refused.status_code, refused.json()) == (422, {"detail": "kilograms: 'heavy' is not of type 'number'"})


def test_a_number_in_a_path_may_have_an_exponent(weights: TestClient) -> None:
    assert weights.post("/weights/5e-3", files={"note": (None, "x")}).status_code == 204


def test_only_a_declared_single_form_field_sent_twice_is_refused(weights: TestClient) -> None:
    twice = [("other", (None, "a")), ("other", (None, "b")), ("tags", (None, "a")), ("tags", (None, "b"))]
    assert weights.post("/weights/5", files=twice).status_code == 204
    refused = weights.post("/weights/5", files=[("note", (None, "a")), ("note", (None, "b"))])
    assert (refused.status_code, refused.json()) == (422, {"detail": "note: sent more than once; send each field once"})


def test_a_path_parameter_may_hold_a_newline(weights: TestClient) -> None:
    refused = weights.post("/weights/5%0A5", files={"note": (None, "x")})  # routed (a 404 before), then refused by type
    assert (refused.status_code, refused.json()) == (422, {"detail": "kilograms: '5\\n5' is not of type 'number'"})


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "ok", "content": {"application/json": {"schema": schema}}}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_NOTE = {"type": "object", "required": ["id", "kind", "text"], "unevaluatedProperties": False, "properties": {
    "id": {"type": "integer", "readOnly": True}, "kind": {"const": "note"}, "text": {"type": "string", "minLength": 1},
    "tag": {"type": ["string", "null"]}, "status": {"enum": ["draft", "kept"]}}}  # fmt: skip
_NOTES = {
    "openapi": "3.1.0",
    "info": {"title": "Notes", "version": "1"},
    "paths": {
        "/notes": {"post": {"operationId": "createNote", "requestBody": {"content": {"application/json": {"schema": _NOTE}}},
                            "responses": {"201": _json(_NOTE)}},
                   "get": {"operationId": "listNotes", "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                           "responses": {"200": _json({"type": "array", "items": _NOTE})}}},
        "/marks": {"post": {"operationId": "mark", "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": ["object", "null"]}}}}, "responses": {"204": {"description": "Marked."}, "400": _json({"type": "string"})}}},
        "/notes/{id}": {"parameters": [_ID], "get": {"operationId": "getNote", "responses": {
            "200": _json(_NOTE), "404": _json({"type": "string"})}}},
        "/stats": {"get": {"operationId": "getStats", "responses": {"200": _json({"type": "object", "required": ["notes", "label"],
            "properties": {"notes": {"type": "integer", "exclusiveMinimum": 0}, "label": {"type": ["string", "null"]}}})}}},
        "/notes/{id}/summary": {"parameters": [_ID], "get": {"operationId": "getNoteSummary", "responses": {
            "200": _json({"type": "object", "required": ["status", "words"], "properties": {
                "status": {"enum": ["draft", "kept"]}, "words": {"type": "integer", "exclusiveMinimum": 0}}}),
            "404": _json({"type": "string"})}}},
    },
}  # fmt: skip


def _notes(tmp_path: Path, seed: int = 0) -> Iterator[TestClient]:
    spec = tmp_path / "notes.yaml"
    spec.write_text(yaml.safe_dump(_NOTES))
    with create_app(make_settings(tmp_path / f"data-{seed}", spec=spec, dev=True, mock_seed=seed)).test_client() as served:
        yield served


def test_a_3_1_collection_is_remembered_and_a_mock_under_it_takes_its_fields(tmp_path: Path) -> None:
    for client in _notes(tmp_path):
        made = client.post("/notes", json={"kind": "note", "text": "milk", "tag": None, "status": "kept"})
        assert made.status_code == 201 and made.json()["kind"] == "note" and made.json()["tag"] is None
        read = client.get(f"/notes/{made.json()['id']}")
        assert (read.json(), read.headers["x-hub-mock"]) == (made.json(), "stored")
        summary = client.get(f"/notes/{made.json()['id']}/summary")
        assert summary.headers["x-hub-mock"] == "stored" and summary.json()["status"] == "kept"
        assert summary.json()["words"] >= 1
        assert client.get("/notes/999/summary").status_code == 404


def test_a_3_1_answer_is_the_same_for_the_same_seed_and_another_for_another(tmp_path: Path) -> None:
    def stats(folder: str, seed: int) -> str:
        (tmp_path / folder).mkdir()
        return [client.get("/stats").text for client in _notes(tmp_path / folder, seed)][0]

    assert stats("first", 0) == stats("again", 0) != stats("other", 7)


def test_a_page_past_any_database_integer_is_an_empty_page(tmp_path: Path) -> None:
    for client in _notes(tmp_path):
        client.post("/notes", json={"kind": "note", "text": "milk"})
        assert client.get("/notes", params={"limit": str(10**24)}).json()[0]["text"] == "milk"  # a 500 before


def test_a_null_body_is_taken_where_the_schema_takes_null(tmp_path: Path) -> None:
    for client in _notes(tmp_path):
        headers = {"Content-Type": "application/json"}
        assert client.post("/marks", content=b"null", headers=headers).status_code == 204  # 400 "must not be empty" before
        assert client.post("/marks", content=b"", headers=headers).json() == "RequestBody is required"
        assert client.post("/marks", content=b"3", headers=headers).json() == "3 is not of type 'object', 'null'"
