"""Documents as real teams write them: what openapi-spec-validator accepts but Connexion would
answer with a 500 at request time is served (`openapi.served`), `/openapi.json` still shows the
document as written; an invalid document is refused in one line, or served `--lenient`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import yaml
from connexion.exceptions import InvalidSpecification
from connexion.spec import OpenAPISpecification
from starlette.testclient import TestClient

from kataven_hub.app import create_app
from kataven_hub.errors import ConfigurationError
from kataven_hub.openapi import load, served
from kataven_hub.openapi.served import checked
from support.servers import serving
from tests.conftest import make_settings
from tests.helpers import assert_error

OK = {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}
ID = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9a-f-]{36}$"}]}
"""An id that is a number or a UUID: no `type` for Connexion to coerce by."""
UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def _document(tmp_path: Path, paths: dict[str, Any], **top: Any) -> Path:
    document = {"openapi": "3.0.3", "info": {"title": "real", "version": "1"}, "paths": paths, **top}
    path = tmp_path / "real.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@contextmanager
def _served(tmp_path: Path, document: Path, **overrides: Any) -> Iterator[TestClient]:
    settings = make_settings(tmp_path / "data", spec=document, **{"dev": True, **overrides})
    with create_app(settings).test_client(raise_server_exceptions=False) as client:
        yield client


def _untyped(tmp_path: Path) -> Path:
    return _document(tmp_path, {
        "/things": {"get": {"parameters": [
            {"name": "id", "in": "query", "schema": ID},
            {"name": "ids", "in": "query", "schema": {"type": "array", "items": ID}},
            {"name": "any", "in": "query", "schema": {"type": "array"}},
            {"name": "n", "in": "query", "schema": {"allOf": [{"type": "integer"}, {"maximum": 9}]}},
        ], "responses": OK}},
        "/things/{id}": {"get": {"parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"$ref": "#/components/schemas/Id"}},
            {"name": "X-Count", "in": "header", "schema": {"type": "integer"}},
            {"name": "size", "in": "cookie", "schema": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}},
        ], "responses": OK}},
    }, components={"schemas": {"Id": ID}})  # fmt: skip


@pytest.mark.parametrize(("url", "status"), [
    ("/things?id=12", 200), (f"/things?id={UUID}", 200), ("/things?id=0", 400), ("/things?id=x", 400),
    ("/things?ids=1,2", 200), ("/things?ids=1,x", 400), ("/things?any=1,x", 200),
    ("/things?n=3", 200), ("/things?n=10", 400), ("/things?n=x", 400),
    ("/things/12", 200), (f"/things/{UUID}", 200), ("/things/0", 400),
])  # fmt: skip
def test_a_parameter_schema_without_a_type_is_validated_by_its_own_schema(tmp_path: Path, url: str, status: int) -> None:
    with _served(tmp_path, _untyped(tmp_path)) as client:
        response = client.get(url)
    assert response.status_code == status, response.text


def test_header_and_cookie_parameters_are_read_as_their_type(tmp_path: Path) -> None:
    with _served(tmp_path, _untyped(tmp_path)) as client:
        assert client.get("/things/1", headers={"X-Count": "3"}).status_code == 200
        assert_error(client.get("/things/1", headers={"X-Count": "three"}), 400, "X-Count")
        client.cookies.set("size", "3")
        assert client.get("/things/1").status_code == 200
        client.cookies.set("size", "big")
        assert_error(client.get("/things/1"), 400, "size")


def test_the_document_served_is_the_one_written(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), _served(tmp_path, _untyped(tmp_path)) as client:
        served = client.get("/openapi.json").json()
    parameters = served["paths"]["/things"]["get"]["parameters"]
    assert parameters[0]["schema"] == ID and parameters[2]["schema"] == {"type": "array"}
    assert "x-hub" not in str(served)
    warnings = [r.getMessage() for r in caplog.records if r.name == "kataven_hub.app"]
    assert any("/paths/~1things/get/parameters/0: the schema of 'id' has no type" in w for w in warnings), warnings
    assert all("\n" not in w and len(w) <= 300 for w in warnings)


def _undefined(tmp_path: Path) -> Path:
    return _document(tmp_path, {
        "/me": {"get": {"security": [{"sessionToken": []}], "responses": OK}},
        "/open": {"get": {"responses": OK}},
    }, security=[{"sessionToken": []}, {}])  # fmt: skip


@pytest.mark.parametrize("dev", [True, False])
def test_an_undefined_security_scheme_is_satisfied_by_no_credential(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, dev: bool
) -> None:
    with caplog.at_level(logging.WARNING), _served(tmp_path, _undefined(tmp_path), dev=dev) as client:
        client.cookies.set("sessionToken", "x")
        for headers in ({}, {"Authorization": "Bearer x", "sessionToken": "x"}, {"Authorization": "x-hub-undefined-scheme x"}):
            response = client.get("/me", headers=headers)
            assert_error(response, 401, "the security scheme 'sessionToken' is not defined in the document")
            assert response.headers["WWW-Authenticate"]
        assert client.get("/open").status_code == 200  # its requirements include the empty one
        served = client.get("/openapi.json").json()
    assert served["paths"]["/me"]["get"]["security"] == [{"sessionToken": []}]
    assert "securitySchemes" not in (served.get("components") or {})
    warned = [r.getMessage() for r in caplog.records if "'sessionToken' is not in components.securitySchemes" in r.getMessage()]
    assert [w.split(": ", 1)[1].split(":")[0] for w in warned] == ["/security", "/paths/~1me/get/security"]


def _invalid(tmp_path: Path) -> Path:
    """A generated document: a path parameter its template does not have, a broken schema."""
    return _document(tmp_path, {
        "/pets/{id}": {"get": {"operationId": "getPet", "responses": OK, "parameters": [
            {"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        "/pets": {"get": {"operationId": "listPets", "responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}}},
        "/owners/{ownerId}": {
            "parameters": [{"name": "ownerId", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "get": {"operationId": "getOwner", "responses": OK},
            "delete": {"operationId": "deleteOwner", "responses": OK, "parameters": [
                {"name": "why", "in": "query", "schema": {"type": "reason"}}]},
        },
    }, components={"schemas": {"Pet": {"type": "object"}, "Broken": {"type": "animal"}}})  # fmt: skip


def test_an_invalid_document_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        create_app(make_settings(tmp_path / "data", spec=_invalid(tmp_path), dev=True))
    message = str(refused.value)
    assert "\n" not in message and "invalid OpenAPI at $" in message, message
    assert message.endswith("(serve it anyway with --lenient)")


def test_lenient_serves_what_it_can_and_answers_501_for_the_rest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), _served(tmp_path, _invalid(tmp_path), lenient=True) as client:
        assert_error(client.get("/pets/7"), 501, "Path parameter 'id' for 'get' operation in '/pets/{id}' was not resolved")
        assert client.get("/pets").status_code == 200
        assert client.get("/owners/3").status_code == 200  # beside an operation not served, its shared parameter kept
        assert_error(client.get("/owners/x"), 400, "")
        assert_error(client.delete("/owners/3"), 501, "$.paths['/owners/{ownerId}'].delete.parameters[0]")
        served = client.get("/openapi.json").json()
    assert served["paths"]["/pets/{id}"]["get"]["parameters"][0]["name"] == "petId"
    warned = [r.getMessage() for r in caplog.records if "invalid OpenAPI at" in r.getMessage()]
    assert len(warned) == 4 and all("\n" not in w for w in warned), warned
    assert any("$.components.schemas.Broken" in w for w in warned)
    assert sum("$.paths['/pets/{id}'].get" in w for w in warned) == 2


def test_what_lenient_cannot_serve_is_refused_in_one_line(tmp_path: Path) -> None:
    document = _document(tmp_path, {"/me": {"get": {"security": [{"tls": []}], "responses": OK}}},
                         components={"securitySchemes": {"tls": {"type": "mutualTLS"}}})  # fmt: skip
    with pytest.raises(ConfigurationError, match=r"Connexion cannot serve it even --lenient: .*mutualTLS") as refused:
        create_app(make_settings(tmp_path / "data", spec=document, dev=True, lenient=True))
    assert "\n" not in str(refused.value)


def _view(schemas: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"openapi": "3.0.3", "info": {"title": "view", "version": "1"}, "paths": {"/x": {"get": {"responses": OK}}},
            "components": {"schemas": schemas}, **top}  # fmt: skip


NAMED_DEFAULT = {"type": "object", "properties": {"default": {"type": "string"}}, "example": {"default": 3}}
"""A property named `default`, an example holding one: no default to check, for Connexion."""


@pytest.mark.parametrize(
    ("view", "accepted"),
    [
        (_view({"Named": NAMED_DEFAULT, "Nullable": {"type": "integer", "nullable": True, "default": None}}), True),
        (_view({"Count": {"type": "integer", "default": "many"}}), False),
        (_view({"Deep": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 2, "default": 1}}}}), False),
        (_view({}, servers=[{"url": "/{v}", "variables": {"v": {"enum": ["a"], "default": "b"}}}]), False),
        (_view({}, components={"securitySchemes": {"tls": {"type": "mutualTLS"}}}), False),
        (_view({"default": {"type": "integer", "default": 1}, "properties": {"type": "integer", "default": 2}}), True),
        (_view({"properties": {"type": "integer", "default": "x"}}), False),
        (_view({"x-rate": {"type": "integer", "default": "x"}, "example": {"type": "integer", "default": "x"}}), False),
        (_view({"Rate": {"type": "object", "x-sdk": {"type": "integer", "default": "x"}, "example": {"default": 1}}}), True),
    ],
    ids=["property-named-default", "default-not-its-type", "nested-default-too-small", "server-variable", "mutual-tls",
         "schemas-named-default-and-properties", "schema-named-properties-default-not-its-type",
         "schemas-named-x-and-example-defaults-not-their-types", "extension-and-example-unchecked"],  # fmt: skip
)
def test_connexion_s_own_check_under_lenient_has_connexion_s_verdict(view: dict[str, Any], accepted: bool) -> None:
    try:
        OpenAPISpecification._validate_spec(view)
        by_connexion = True
    except InvalidSpecification:
        by_connexion = False
    assert by_connexion is accepted
    assert served._accepted(OpenAPISpecification, view) is accepted  # jsonschema-rs decides at once where Connexion accepts
    with checked():
        if accepted:
            OpenAPISpecification._validate_spec(view)
        else:
            with pytest.raises(InvalidSpecification):
                OpenAPISpecification._validate_spec(view)


@pytest.mark.live
def test_over_real_http_nothing_accepted_answers_500(tmp_path: Path) -> None:
    document = _document(tmp_path, {
        "/things/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "required": True, "schema": ID}],
                                 "security": [{"sessionToken": []}, {}], "responses": OK}},
        "/me": {"get": {"security": [{"sessionToken": []}], "responses": OK}},
        "/pets/{id}": {"get": {"parameters": [{"name": "petId", "in": "path", "required": True, "schema": ID}],
                               "responses": OK}},
    })  # fmt: skip
    with serving(tmp_path / "data", {}, "--dev", "--lenient", "--spec", str(document)) as (base, log):
        assert httpx.get(f"{base}/things/12").status_code == 200
        assert httpx.get(f"{base}/things/0").status_code == 400
        assert httpx.get(f"{base}/me", headers={"Authorization": "Bearer x"}).status_code == 401
        unserved = httpx.get(f"{base}/pets/3")
        assert unserved.status_code == 501 and "not served" in unserved.json()
        assert httpx.get(f"{base}/openapi.json").json()["paths"]["/things/{id}"]["get"]["parameters"][0]["schema"] == ID
        written = log.read_text()
    assert "the security scheme 'sessionToken' is not in components.securitySchemes" in written
    assert "invalid OpenAPI at $.paths['/pets/{id}'].get" in written


def _forms(tmp_path: Path, typed: bool) -> Path:
    """A form whose field `id` has no type; the form itself `type: object` or not (both real)."""
    untyped = {"properties": {"id": ID, "n": {"type": "integer"}, "tag": {"type": "string"}}, "required": ["n"]}
    untyped |= {"type": "object"} if typed else {}
    forms = {media: {"schema": untyped} for media in ("application/x-www-form-urlencoded", "multipart/form-data")}
    return _document(tmp_path, {"/forms": {"post": {"requestBody": {"required": True, "content": forms}, "responses": OK}}})


@pytest.mark.parametrize("typed", [True, False])
@pytest.mark.parametrize("media", ["application/x-www-form-urlencoded", "multipart/form-data"])
@pytest.mark.parametrize(("form", "status"), [
    ({"id": "12", "n": "3"}, 200), ({"id": UUID, "n": "3", "tag": "x"}, 200), ({"n": "3"}, 200),
    ({"id": "0", "n": "3"}, 400), ({"id": "x", "n": "3"}, 400), ({"id": "12"}, 400), ({"n": "x"}, 400),
])  # fmt: skip
def test_a_form_whose_fields_have_no_type_is_validated_by_its_own_schema(
    tmp_path: Path, media: str, form: dict[str, str], status: int, typed: bool
) -> None:
    with _served(tmp_path, _forms(tmp_path, typed)) as client:
        if media == "multipart/form-data":
            response = client.post("/forms", files={k: (None, v) for k, v in form.items()})
        else:
            response = client.post("/forms", data=form)
    assert response.status_code == status, response.text


def test_a_path_written_with_percent_escapes_is_served(tmp_path: Path) -> None:
    document = _document(tmp_path, {
        "/listings/%40lab/extension/listings.json": {"get": {"responses": OK}},
        "/listings/%40lab/{name}": {"get": {"parameters": [
            {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}], "responses": OK}},
    })  # fmt: skip
    with _served(tmp_path, document) as client:
        assert client.get("/listings/%40lab/extension/listings.json").status_code == 200
        assert client.get("/listings/@lab/extension/listings.json").status_code == 200
        assert client.get("/listings/%40lab/other").status_code == 200
        assert client.get("/listings/%40other/extension/listings.json").status_code == 404
        assert "/listings/%40lab/extension/listings.json" in client.get("/openapi.json").json()["paths"]


def test_dotted_path_parameters_exploded_objects_and_digest_are_served(tmp_path: Path) -> None:
    document = _document(tmp_path, {
        "/items/{item.id}": {"get": {"parameters": [
            {"name": "item.id", "in": "path", "required": True, "schema": {"type": "integer"}}], "responses": OK}},
        "/filter": {"get": {"parameters": [{"name": "f", "in": "query", "style": "form", "explode": False, "schema": {
            "type": "object", "properties": {"x": {"type": "string"}, "n": {"type": "integer"}}}}], "responses": OK}},
        "/digest": {"get": {"security": [{"digest": []}], "responses": OK}},
        "/options": {"get": {"parameters": [{"name": "n", "in": "query", "schema": {"type": "integer"}}, {"name": "opts", "in": "query",
            "schema": {"type": "object", "additionalProperties": {"type": "integer"}}}], "responses": OK}},
        "/plugins/{version}/{pair}": {"get": {"parameters": [
            {"name": "version", "in": "path", "required": True, "schema": {"$ref": "#/components/schemas/Version"}},
            {"name": "pair", "in": "path", "required": True, "explode": True, "schema": {"$ref": "#/components/schemas/Version"}}],
            "responses": OK}},
    }, components={"securitySchemes": {"digest": {"type": "http", "scheme": "digest"}}, "schemas": {"Version": {
        "type": "object", "additionalProperties": False, "properties": {"Major": {"type": "integer"}, "Build": {"type": "integer"}}}}})  # fmt: skip
    with _served(tmp_path, document) as client:
        assert client.get("/items/12").status_code == 200
        assert_error(client.get("/items/x"), 400, "item.id")
        assert client.get("/filter?f=x,a,n,1").status_code == 200
        assert_error(client.get("/filter?f=x,a,n,b"), 400, "f")
        assert client.get("/options?a=1&b=2&n=3").status_code == 200  # `opts` exploded: {a: 1, b: 2}
        assert client.get("/options?opts=&n=3").status_code == 200  # an empty one
        assert_error(client.get("/options?a=x&n=3"), 400, "opts")
        assert_error(client.get("/options?opts=x"), 400, "opts")
        assert client.get("/plugins/Build,884,Major,3/Major=1,Build=2").status_code == 200
        assert_error(client.get("/plugins/Build,x/Major=1"), 400, "version")
        assert_error(client.get("/plugins/Build,1/Major,1"), 400, "pair")
        assert client.get("/digest", headers={"Authorization": 'Digest username="a", realm="r"'}).status_code == 200
        assert_error(client.get("/digest"), 401, "")
        assert_error(client.get("/digest", headers={"Authorization": "Bearer x"}), 401, "")
    with pytest.raises(ConfigurationError, match="digest .digest.: give it x-digestInfoFunc"):
        create_app(make_settings(tmp_path / "data", spec=document, dev=False))


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_an_array_of_objects_in_the_query_is_taken_as_sent(tmp_path: Path, caplog: pytest.LogCaptureFixture, version: str) -> None:
    pair = {"type": "object", "properties": {"key": {"type": "string"}, "value": {"type": "string", "enum": ["Asc", "Desc"]}}}
    document = _document(tmp_path, {"/things": {"get": {"parameters": [
        {"name": "sortings", "in": "query", "style": "form", "explode": True,
         "schema": {"type": "array", "maxItems": 2, "items": {"$ref": "#/components/schemas/Pair"}}},
        {"name": "n", "in": "query", "schema": {"type": "integer"}}], "responses": OK}}},
        components={"schemas": {"Pair": pair}}, openapi=version)  # fmt: skip
    with caplog.at_level(logging.WARNING), _served(tmp_path, document) as client:
        assert client.get("/things?sortings=key&sortings=value").status_code == 200  # Schemathesis's way of sending them
        assert client.get("/things?sortings=Name").status_code == 200
        assert_error(client.get("/things?sortings=a&sortings=b&sortings=c"), 400, "sortings")  # the array's own rules hold
        assert_error(client.get("/things?sortings=a&n=x"), 400, "n")
    warnings = [r.getMessage() for r in caplog.records if r.name == "kataven_hub.app"]
    assert any("/paths/~1things/get/parameters/0: 'sortings' is an array of objects" in w for w in warnings), warnings


def test_the_mock_answers_xml_as_xml_and_a_range_response_as_200(tmp_path: Path) -> None:
    pet = {"type": "object", "xml": {"name": "pet"}, "required": ["id", "name", "tags"], "properties": {
        "id": {"type": "integer", "xml": {"attribute": True}}, "name": {"type": "string"},
        "tags": {"type": "array", "xml": {"wrapped": True}, "items": {"type": "string", "xml": {"name": "tag"}}}}}
    document = _document(tmp_path, {
        "/pet": {"get": {"responses": {"200": {"description": "ok", "content": {"application/xml": {"schema": pet}}}}}},
        "/note": {"get": {"responses": {"200": {"description": "ok", "content": {
            "application/xml": {"schema": {"type": "string"}, "example": "<note>hi</note>"}}}}}},
        "/yaml": {"get": {"responses": {"200": {"description": "ok", "content": {
            "application/yaml": {"schema": {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}}}}}}},
        "/range": {"get": {"responses": {"2XX": {"description": "ok", "content": {
            "application/json": {"schema": {"type": "object"}, "example": {"ok": True}}}}, "4XX": {"description": "no"}}}},
    })  # fmt: skip
    with _served(tmp_path, document) as client:
        answer = client.get("/pet")
        assert answer.headers["content-type"].startswith("application/xml")
        root = ElementTree.fromstring(answer.text)
        assert root.tag == "pet" and root.get("id") is not None and root.find("name") is not None
        assert root.find("tags") is not None and all(t.tag == "tag" for t in root.find("tags"))  # type: ignore[union-attr]
        assert client.get("/note").text == "<note>hi</note>"
        assert yaml.safe_load(client.get("/yaml").text).keys() == {"a"}
        ranged = client.get("/range")
        assert ranged.status_code == 200 and ranged.json() == {"ok": True}
        assert client.get("/range", headers={"Prefer": "code=201"}).status_code == 201


def test_an_object_form_field_is_read_as_json(tmp_path: Path) -> None:
    owner = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    form = {"type": "object", "required": ["owner"], "properties": {"owner": owner, "logo": {"type": "string", "format": "binary"}}}
    document = _document(tmp_path, {"/pets": {"post": {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": form}}}, "responses": OK}}})  # fmt: skip
    with _served(tmp_path, document) as client:
        sent = {"owner": (None, '{"name": "Ada", "age": 36}'), "logo": ("a.png", b"png")}
        assert client.post("/pets", files=sent).status_code == 200
        assert_error(client.post("/pets", files={"owner": (None, '{"age": 36}')}), 400, "name")
        assert_error(client.post("/pets", files={"owner": (None, "Ada")}), 400, "owner")


def test_a_required_multipart_body_sent_without_a_content_type_is_a_400(tmp_path: Path) -> None:
    form = {"multipart/form-data": {"schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}}
    document = _document(tmp_path, {
        "/forms": {"post": {"requestBody": {"required": True, "content": form}, "responses": OK}},
        "/optional": {"post": {"requestBody": {"content": form}, "responses": OK}},
    })  # fmt: skip
    with _served(tmp_path, document) as client:
        assert_error(client.post("/forms"), 400, "multipart/form-data")
        assert_error(client.post("/forms", content=b"n=1"), 400, "multipart/form-data")
        assert client.post("/optional").status_code == 200


def test_a_reference_to_a_list_in_an_extension_is_served(tmp_path: Path) -> None:
    document = _document(tmp_path, {"/things": {"get": {
        "x-policy": {"$ref": "#/components/x-policies/list"}, "responses": OK}}},
        components={"x-policies": {"list": [{"rule": "a"}]}})  # fmt: skip
    with _served(tmp_path, document) as client:
        assert client.get("/things").status_code == 200
        served = client.get("/openapi.json").json()  # as written
        assert served["paths"]["/things"]["get"]["x-policy"] == {"$ref": "#/components/x-policies/list"}


def test_an_operation_with_a_router_controller_is_served_by_its_operation_id(tmp_path: Path) -> None:
    """A document written for a Connexion server (Airflow's) names its own modules beside each
    operationId: ours serves it all the same."""
    document = {
        "openapi": "3.0.3",
        "info": {"title": "controlled", "version": "1"},
        "paths": {"/health": {"get": {
            "operationId": "get_health", "x-openapi-router-controller": "airflow.api_connexion.endpoints.health_endpoint",
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}}}}},
        }}},
    }  # fmt: skip
    spec = tmp_path / "controlled.yaml"
    spec.write_text(yaml.safe_dump(document))
    with create_app(make_settings(tmp_path / "data", spec=spec, dev=True)).test_client() as client:
        answer = client.get("/health")
    assert answer.status_code == 200 and "status" in answer.json(), answer.text


def test_an_id_never_stored_is_a_404_only_where_the_document_gives_one(tmp_path: Path) -> None:
    thing = {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    answer = {"description": "ok", "content": {"application/json": {"schema": thing}}}
    item = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    body = {"content": {"application/json": {"schema": thing}}}
    document = _document(tmp_path, {
        "/things": {"post": {"requestBody": body, "responses": {"201": answer}}},
        "/things/{id}": {"parameters": item, "get": {"responses": {"200": answer}}},
        "/things/{id}/parts": {"parameters": item, "get": {"responses": {"200": answer}}},
        "/pets": {"post": {"requestBody": body, "responses": {"201": answer}}},
        "/pets/{id}": {"parameters": item, "get": {"responses": {"200": answer, "404": {"description": "no"}}}},
    })  # fmt: skip
    with _served(tmp_path, document) as client:
        assert client.get("/things/77").status_code == 200
        assert client.get("/things/77/parts").status_code == 200
        stored = client.post("/things", json={"id": 5, "name": "kept"}).json()
        assert client.get(f"/things/{stored['id']}").json()["name"] == "kept"
        assert client.get("/pets/77").status_code == 404


def test_a_create_answering_a_bare_id_is_a_plain_mock(tmp_path: Path) -> None:
    uuid = {"description": "ok", "content": {"application/json": {"schema": {"type": "string", "format": "uuid"}}}}
    body = {"content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}
    item = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    document = _document(tmp_path, {
        "/lists": {"post": {"requestBody": body, "responses": {"200": uuid}}},
        "/lists/{id}": {"parameters": item, "get": {"responses": OK}},
    })  # fmt: skip
    with _served(tmp_path, document) as client:
        created = client.post("/lists", json={"name": "a"})
        assert created.status_code == 200 and len(created.json()) == 36
        assert client.get(f"/lists/{created.json()}").status_code == 200


def test_a_204_documented_with_json_content_answers_no_body_and_no_500(tmp_path: Path) -> None:
    empty = {"type": "object", "properties": {"data": {"type": "object"}}}
    document = _document(tmp_path, {"/teams/{gid}/removeUser": {"post": {
        "parameters": [{"name": "gid", "in": "path", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {"204": {"description": "removed", "content": {"application/json": {"schema": empty}}},
                      "500": {"description": "broke", "content": {"application/json": {"schema": {"type": "object"}}}}}}}})  # fmt: skip
    with _served(tmp_path, document) as client:
        answer = client.post("/teams/7/removeUser", json={"user": "1"})
        assert answer.status_code == 204 and answer.content == b""


def test_a_default_its_own_schema_refuses_is_left_out_of_what_connexion_serves(tmp_path: Path) -> None:
    stop = {"default": None, "nullable": True, "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    body = {"type": "object", "properties": {"max_tokens": {"type": "integer", "default": "inf"}, "stop": stop,
                                             "flag": {"type": "boolean", "default": "false"}}}  # fmt: skip
    document = _document(tmp_path, {"/completions": {"post": {"requestBody": {"content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Ask"}}}}, "responses": OK}}},
        components={"schemas": {"Ask": body}})  # fmt: skip
    with _served(tmp_path, document, lenient=True) as client:
        assert client.post("/completions", json={"max_tokens": 3, "stop": "x"}).status_code == 200
        assert_error(client.post("/completions", json={"max_tokens": "inf"}), 400, "max_tokens")


def test_a_collection_whose_answers_are_not_objects_is_answered_as_a_plain_mock(tmp_path: Path) -> None:
    """Jellyfin's create answers 204 while its read answers a string; Jira's create answers a
    schema with no type. Neither is a resource to keep: each answers as the plain mock, not 500."""
    text = {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}}
    body = {"content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}
    item = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    untyped = {"description": "ok", "content": {"application/json": {"schema": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}}}
    document = _document(tmp_path, {
        "/configs": {"post": {"requestBody": body, "responses": {"204": {"description": "done"}}}},
        "/configs/{id}": {"parameters": item, "get": {"responses": {"200": text}}},
        "/links": {"post": {"requestBody": body, "responses": {"201": untyped}}},
        "/links/{id}": {"parameters": item, "get": {"responses": {"200": untyped}}},
    })  # fmt: skip
    with _served(tmp_path, document) as client:
        assert client.post("/configs", json={"name": "a"}).status_code == 204
        assert client.post("/links", json={"name": "a"}).status_code == 201


def _referring(tmp_path: Path) -> Path:
    """Operations reusing another's parameters and answers by `$ref`s into `paths`, as bundled documents do."""
    name = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "enum": ["kept"]}}}
    dotted = {"name": "item.id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return _document(tmp_path, {
        "/a/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "required": True, "schema": ID}],
                            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": name}}}}}},
        "/b/{id}": {"get": {"parameters": [{"$ref": "#/paths/~1a~1%7Bid%7D/get/parameters/0"}],
                            "responses": {"200": {"$ref": "#/paths/~1a~1{id}/get/responses/200"}}}},
        "/c/{item.id}": {"get": {"parameters": [dotted], "responses": OK}},
        "/d/{item.id}": {"get": {"parameters": [{"$ref": "#/paths/~1c~1{item.id}/get/parameters/0"}], "responses": OK}},
    })  # fmt: skip


def test_a_reference_into_paths_is_served_as_a_reference_where_the_view_keeps_its_target(tmp_path: Path) -> None:
    view = served.view(load(_referring(tmp_path))).document["paths"]
    assert view["/b/{id}"]["get"]["parameters"] == [{"$ref": "#/paths/~1a~1%7Bid%7D/get/parameters/0"}]
    assert view["/b/{id}"]["get"]["responses"]["200"] == {"$ref": "#/paths/~1a~1{id}/get/responses/200"}
    assert view["/d/{item_id}"]["get"]["parameters"][0]["name"] == "item_id"  # its target renamed: a copy, renamed too
    assert "$ref" not in str(served.view(load(_referring(tmp_path)), lenient=True).document["paths"])
    with _served(tmp_path, _referring(tmp_path)) as client:
        assert client.get("/b/12").json() == {"name": "kept"}
        assert client.get(f"/b/{UUID}").status_code == 200
        assert_error(client.get("/b/0"), 400, "id")
        assert client.get("/d/3").status_code == 200
        assert_error(client.get("/d/x"), 400, "item.id")


def _by(name: str, schema: dict[str, Any], *, prefix: str = "/countries") -> dict[str, Any]:
    answer = {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}, "example": {"by": name}}}}}
    first = [{"name": "aid", "in": "path", "required": True, "schema": {"type": "string"}}] if "{aid}" in prefix else []
    return {"get": {"operationId": f"by_{name}", "responses": answer,
                    "parameters": [*first, {"name": name, "in": "path", "required": True, "schema": schema}]}}  # fmt: skip


def test_paths_alike_but_for_their_parameters_names_are_routed_by_the_values(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    document = _document(tmp_path, {
        "/countries/{code2}": _by("code2", {"type": "string", "minLength": 2, "maxLength": 2}),
        "/countries/{code3}": _by("code3", {"type": "string", "minLength": 3, "maxLength": 3}),
        "/countries/{countryName}": _by("countryName", {"type": "string"}),
        "/countries/{guid}": _by("guid", {"type": "string", "format": "uuid"}),
        "/a/{aid}/files/{fid}": _by("fid", {"type": "string", "format": "uuid"}, prefix="/a/{aid}/files"),
        "/a/{aid}/files/{fname}": _by("fname", {"type": "string"}, prefix="/a/{aid}/files"),
        "/v/{major}": _by("major", {"type": "string", "enum": ["v1", "v2"]}, prefix="/v"),
        "/v/{minor}": _by("minor", {"type": "integer"}, prefix="/v"),
    })  # fmt: skip
    with caplog.at_level(logging.WARNING), _served(tmp_path, document) as client:
        for sent, by in [("NO", "code2"), ("NOR", "code3"), (UUID, "guid"), ("Norway", "countryName")]:
            assert client.get(f"/countries/{sent}").json() == {"by": by}, sent
        assert client.get(f"/a/1/files/{UUID}").json() == {"by": "fid"}
        assert client.get("/a/1/files/x.png").json() == {"by": "fname"}
        assert client.get("/v/v2").json() == {"by": "major"}
        assert client.get("/v/7").json() == {"by": "minor"}
        assert_error(client.get("/v/x"), 400, "major")  # none takes it: the first, which refuses it
    warned = [r.getMessage().split(": ", 2)[1] for r in caplog.records if "but for its parameters' names" in r.getMessage()]
    assert warned == ["/paths/~1countries~1{code3}", "/paths/~1countries~1{countryName}", "/paths/~1countries~1{guid}",
                      "/paths/~1a~1{aid}~1files~1{fname}", "/paths/~1v~1{minor}"]  # fmt: skip


@pytest.mark.parametrize("media", ["multipart/form-data", "application/x-www-form-urlencoded"])
def test_a_form_written_as_an_all_of_is_read_by_the_fields_of_its_parts(tmp_path: Path, media: str) -> None:
    common = {"type": "object", "properties": {"wait": {"type": "boolean"}, "channel": {"type": "integer"},
                                               "tags": {"type": "array", "items": {"type": "string", "minLength": 2}}}}  # fmt: skip
    upload = {"allOf": [{"$ref": "#/components/schemas/Common"},
                        {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}]}  # fmt: skip
    document = _document(tmp_path, {"/upload": {"post": {"requestBody": {"required": True, "content": {
        media: {"schema": {"$ref": "#/components/schemas/Upload"}}}}, "responses": OK}}},
        components={"schemas": {"Common": common, "Upload": upload}})  # fmt: skip
    sent = {"name": "clip", "wait": "false", "channel": "3", "tags": ["ab", "cd"]}

    def post(client: TestClient, form: dict[str, Any]) -> httpx.Response:
        if media == "multipart/form-data":
            return client.post("/upload", files=[(k, (None, v)) for k, vs in form.items() for v in (vs if isinstance(vs, list) else [vs])])
        return client.post("/upload", data=form)

    with _served(tmp_path, document) as client:
        assert post(client, sent).status_code == 200, post(client, sent).text
        assert_error(post(client, {**sent, "wait": "maybe"}), 400, "wait")
        assert_error(post(client, {**sent, "tags": ["ab", "c"]}), 400, "tags.1")
        assert_error(post(client, {k: v for k, v in sent.items() if k != "name"}), 400, "name")


def test_an_error_documented_as_a_list_of_errors_is_one_filled_with_the_message(tmp_path: Path) -> None:
    error = {"type": "object", "required": ["field", "message"], "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}
    document = _document(tmp_path, {"/lists/{id}": {"get": {"parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}], "responses": {**OK, "400": {
            "description": "bad", "content": {"application/json": {"schema": {"type": "array", "items": error}}}}}}}})  # fmt: skip
    with _served(tmp_path, document) as client:
        refused = client.get("/lists/x")
    assert refused.status_code == 400
    [only] = refused.json()
    assert only["message"] == "id: 'x' is not of type 'integer'" and isinstance(only["field"], str)


def test_an_error_documented_with_a_list_of_messages_carries_the_message_in_it(tmp_path: Path) -> None:
    error = {"type": "object", "properties": {"errorMessages": {"type": "array", "items": {"type": "string"}},
                                              "errors": {"type": "object", "additionalProperties": {"type": "string"}}}}  # fmt: skip
    document = _document(tmp_path, {"/lists/{id}": {"get": {"parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}], "responses": {**OK, "400": {
            "description": "bad", "content": {"application/json": {"schema": error}}}}}}})  # fmt: skip
    with _served(tmp_path, document) as client:
        refused = client.get("/lists/x")
    assert refused.status_code == 400 and refused.json()["errorMessages"] == ["id: 'x' is not of type 'integer'"]


def test_a_path_and_a_query_parameter_of_one_name_are_each_read_by_its_own_definition(tmp_path: Path) -> None:
    document = _document(tmp_path, {
        "/lists/{list_id}": {"parameters": [{"name": "list_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                             "get": {"parameters": [{"name": "list_id", "in": "query", "schema": {"type": "integer"}}], "responses": OK}},
        "/export": {"get": {"parameters": [{"name": "ids", "in": "query", "style": "form", "explode": False,
                                            "schema": {"type": "array", "minItems": 1, "items": {"type": "string"}}}],
                            "responses": OK}},
    })  # fmt: skip
    with _served(tmp_path, document) as client:
        assert client.get("/lists/abc?list_id=6").status_code == 200
        assert_error(client.get("/lists/abc?list_id=x"), 400, "list_id")
        assert client.get("/export?ids=").status_code == 200  # one blank id: `[]` the schema refuses, `['']` it takes
        assert client.get("/export?ids=a,b").status_code == 200


def test_form_fields_in_deep_object_style_are_gathered_into_their_objects(tmp_path: Path) -> None:
    deep = {"style": "deepObject", "explode": True}
    price = {"type": "object", "required": ["price"], "properties": {"price": {"type": "string"}, "quantity": {"type": "integer"}}}
    form = {"type": "object", "additionalProperties": False, "properties": {
        "tos": {"type": "object", "properties": {"date": {"type": "integer"}, "ip": {"type": "string"}}},
        "metadata": {"anyOf": [{"type": "object", "additionalProperties": {"type": "string"}}, {"type": "string", "enum": [""]}]},
        "items": {"anyOf": [{"type": "array", "items": price}, {"type": "string", "enum": [""]}]},
        "live": {"type": "boolean"},
        "tipping": {"type": "object", "additionalProperties": {"type": "object", "properties": {
            "amounts": {"type": "array", "items": {"type": "integer"}}}}}}}  # fmt: skip
    document = _document(tmp_path, {"/v1/accounts": {"post": {"requestBody": {"content": {"application/x-www-form-urlencoded": {
        "schema": form, "encoding": {"tos": deep, "metadata": deep, "items": deep, "tipping": deep}}}}, "responses": OK}}})  # fmt: skip
    sent = "tos[date]=0&tos[ip]=&metadata[order]=7&metadata[]=x&items[0][price]=p1&items[1][price]=p2&items[1][quantity]=2&live=true"
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    with _served(tmp_path, document) as client:
        taken = client.post("/v1/accounts", content=sent, headers=form_type)
        assert taken.status_code == 200, taken.text
        assert client.post("/v1/accounts", content="metadata=", headers=form_type).status_code == 200
        blank = "tipping[aud]=&tipping[cad][amounts]=&tipping[eur][amounts][0]=5&metadata[a[b]=c"  # `{}`, `[]`; a key with `[`
        assert client.post("/v1/accounts", content=blank, headers=form_type).status_code == 200
        assert_error(client.post("/v1/accounts", content="tipping[eur][amounts][0]=x", headers=form_type), 400, "tipping.eur.amounts.0")
        assert_error(client.post("/v1/accounts", content="tos[date]=today", headers=form_type), 400, "tos.date")
        assert_error(client.post("/v1/accounts", content="items[0][quantity]=2", headers=form_type), 400, "items")
        assert_error(client.post("/v1/accounts", content="live[x]=1", headers=form_type), 400, "live[x]")  # no deepObject: a field of its own
