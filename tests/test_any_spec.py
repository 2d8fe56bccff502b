"""Documents no one here wrote (tests/specs/): every operation served, bodies that validate for
every schema shape, names for any operation, every security scheme, errors in the documented
shape, validation that follows the document."""

from __future__ import annotations

import base64
import keyword
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from kataven_hub import openapi
from kataven_hub.app import create_app
from kataven_hub.errors import ConfigurationError
from kataven_hub.mock.remember import roles
from kataven_hub.openapi import Operation
from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.generate import generate
from kataven_hub.web.errorshapes import error_schema
from tests.conftest import make_settings
from tests.helpers import CORPUS, SPECS

CREDENTIALS = {
    "headers": {"Authorization": "Bearer dev", "X-API-Key": "dev"},
    "cookies": {"session": "dev"},
    "params": {"api_key": "dev"},
}
"""Something for every scheme of tests/specs/security.yaml (a basic one is sent where asked)."""


def _client(tmp_path: Path, document: Path, **overrides: Any) -> Iterator[TestClient]:
    settings = make_settings(tmp_path / "data", spec=document, dev=True, **overrides)
    with create_app(settings).test_client() as client:
        yield client


@pytest.fixture(params=CORPUS, ids=lambda p: p.stem)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, list[Operation]]]:
    document: Path = request.param
    for client in _client(tmp_path, document):
        yield client, openapi.operations(openapi.load(document))


def _call(client: TestClient, operation: Operation) -> Any:
    """The operation called with valid arguments, each drawn from its schema."""
    path, query = operation.path, dict(CREDENTIALS["params"])
    for param in operation.definition.get("parameters", []):
        value = generate(param.get("schema") or {}, seed=param["name"], examples=False)
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", str(value))
        elif param["in"] == "query" and param.get("required"):
            query[param["name"]] = value
    headers = dict(CREDENTIALS["headers"])
    if any("basic" in requirement for requirement in operation.definition.get("security") or []):
        headers["Authorization"] = "Basic " + base64.b64encode(b"dev:dev").decode()
    content = (operation.definition.get("requestBody") or {}).get("content") or {}
    kwargs: dict[str, Any] = {}
    for media_type, media in content.items():
        body = generate(media.get("schema") or {}, seed=operation.operation_id, examples=False)
        kwargs = {"json": body} if "json" in media_type else {"data": body}
        if media_type == "multipart/form-data":  # each field a part, a file (3.1: contentMediaType) as bytes
            fields = (media.get("schema") or {}).get("properties") or {}
            kwargs = {"files": {name: ("upload.bin", b"data") if "contentMediaType" in fields.get(name, {}) else (None, str(value))
                                for name, value in body.items() if value is not None}}  # fmt: skip
        break
    client.cookies.update(CREDENTIALS["cookies"])
    return client.request(operation.method.upper(), path, params=query, headers=headers, **kwargs)


def _lowest_success(operation: Operation) -> tuple[int, dict[str, Any] | None]:
    responses = operation.definition["responses"]
    code = min(int(c) for c in responses if c.isdigit() and c.startswith("2"))
    content = responses[str(code)].get("content") or {}
    media = content.get("application/json")
    return code, None if media is None else media.get("schema")


def test_every_operation_answers_its_lowest_success_with_a_body_that_validates(
    served: tuple[TestClient, list[Operation]],
) -> None:
    client, operations = served
    assert operations
    kept = roles(operations)
    for operation in operations:
        response = _call(client, operation)
        code, schema = _lowest_success(operation)
        if operation.operation_id in kept and kept[operation.operation_id].param:  # an item nobody created
            code, schema = 404, error_schema(operation, 404)
        assert response.status_code == code, (operation.label, response.text)
        if schema is not None:
            assert answer_errors(schema, response.json()) is None, (operation.label, response.text)


def test_the_same_request_answers_the_same_body(tmp_path: Path) -> None:
    document = SPECS / "shapes.yaml"
    first = [c.get("/numbers").content for c in _client(tmp_path / "a", document)]
    again = [c.get("/numbers").content for c in _client(tmp_path / "b", document)]
    assert first == again


def test_every_operation_gets_a_valid_unique_python_name() -> None:
    operations = openapi.operations(openapi.load(SPECS / "names.yaml"))
    names = [op.function for op in operations]
    assert names == [
        "find_thing_by_id", "create_thing_v2", "op_2fa_verify", "import_", "creer_element", "find_thing_by_id_2",
        "post_streams_stream_id",
    ]  # fmt: skip
    assert all(n.isidentifier() and not keyword.iskeyword(n) for n in names)
    assert names == [op.function for op in openapi.operations(openapi.load(SPECS / "names.yaml"))]
    assert operations[-1].operation_id == "postStreamsStreamId"  # it had none


def test_outside_dev_mode_a_scheme_nothing_verifies_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"nothing verifies the security scheme basic \(basic\)"):
        create_app(make_settings(tmp_path / "data", spec=SPECS / "security.yaml"))


@pytest.mark.parametrize(
    "path, given, status",
    [
        ("/bearer", {}, 401),
        ("/bearer", {"Authorization": "Bearer x"}, 200),
        ("/key-header", {"X-API-Key": "x"}, 200),
        ("/key-header", {"X-Other": "x"}, 401),
        ("/both", {"X-API-Key": "x"}, 401),  # AND: both schemes of the requirement
        ("/both", {"X-API-Key": "x", "Authorization": "Bearer x"}, 200),
        ("/either", {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()}, 200),  # OR
        ("/either", {}, 401),
        ("/optional", {}, 200),  # {}: no credential needed
        ("/oauth", {"Authorization": "Bearer x"}, 200),
        ("/oidc", {}, 401),
    ],
)
def test_in_dev_mode_the_credentials_asked_for_let_a_request_through(
    tmp_path: Path, path: str, given: dict[str, str], status: int
) -> None:
    for client in _client(tmp_path, SPECS / "security.yaml"):
        response = client.get(path, headers=given)
        assert response.status_code == status, response.text


def test_errors_take_the_shape_the_document_gives_them(tmp_path: Path) -> None:
    for client in _client(tmp_path, SPECS / "petstore-expanded.yaml"):
        wrong_type = client.get("/pets/abc")
        assert wrong_type.status_code == 400
        assert wrong_type.json() == {"code": 400, "message": "id: 'abc' is not of type 'integer'"}
        missing = client.post("/pets", json={"tag": "x"})
        assert missing.status_code == 400 and missing.json()["message"] == "'name' is a required property"
        too_big = client.get("/pets", params={"limit": 2**31})
        assert too_big.status_code == 400 and too_big.json()["code"] == 400


def test_validation_follows_the_document(tmp_path: Path) -> None:
    for client in _client(tmp_path, SPECS / "shapes.yaml"):
        assert client.get("/numbers", params={"unlisted": "1"}).status_code == 200
        assert client.post("/forms", data={"name": "a", "unlisted": "b"}).status_code == 204
        assert client.post("/notes").status_code == 201  # an optional body left out
        refused = client.post("/notes", content=b"null", headers={"Content-Type": "application/json"})
        assert refused.status_code == 400 and refused.json()["status"] == 400


# --- bodies for generated schemas ------------------------------------------------------------

_LEAVES = st.one_of(
    st.just({"type": "boolean"}),
    st.builds(lambda lo, span: {"type": "integer", "minimum": lo, "maximum": lo + span},
              st.integers(-50, 50), st.integers(0, 20)),  # fmt: skip
    st.builds(lambda step: {"type": "integer", "multipleOf": step, "minimum": 0}, st.integers(1, 9)),
    st.builds(lambda lo, hi: {"type": "number", "minimum": lo, "maximum": lo + hi},
              st.floats(-10, 10), st.floats(0.5, 10)),  # fmt: skip
    st.builds(lambda lo, extra: {"type": "string", "minLength": lo, "maxLength": lo + extra},
              st.integers(0, 5), st.integers(0, 5)),  # fmt: skip
    st.sampled_from([{"type": "string", "format": f} for f in ("uuid", "date-time", "date", "email", "uri", "ipv4")]),
    st.just({"type": "string", "pattern": "^[a-f]{2}[0-9]{1,3}$"}),
    st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=4, unique=True).map(
        lambda values: {"type": "string", "enum": values}
    ),
    st.just({"type": "string", "nullable": True}),
)


def _composite(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    names = st.sampled_from(["a", "b", "c", "d"])
    objects = st.builds(
        lambda props, required, closed: {
            "type": "object", "properties": props, "required": sorted(set(required) & set(props)),
            **({"additionalProperties": False} if closed else {}),
        },
        st.dictionaries(names, children, min_size=1, max_size=3), st.lists(names, max_size=3), st.booleans(),
    )  # fmt: skip
    arrays = st.builds(
        lambda item, low, extra: {"type": "array", "items": item, "minItems": low, "maxItems": low + extra},
        children, st.integers(0, 2), st.integers(0, 2),
    )  # fmt: skip
    all_of = st.lists(objects, min_size=1, max_size=3).map(
        lambda parts: {"allOf": [_renamed(p, f"p{i}") for i, p in enumerate(parts)]}
    )  # each part's own property names: two parts that gave one property two types would ask the impossible
    one_of = st.builds(
        lambda obj, leaf: {"oneOf": [obj, {"type": "array", "items": leaf}]}, objects, children
    )  # distinct types: exactly one branch can match
    return st.one_of(objects, arrays, all_of, one_of)


def _renamed(part: dict[str, Any], prefix: str) -> dict[str, Any]:
    properties = {prefix + name: sub for name, sub in part["properties"].items()}
    return {**part, "properties": properties, "required": [prefix + n for n in part["required"]],
            "additionalProperties": True}  # fmt: skip


SCHEMAS = st.recursive(_LEAVES, _composite, max_leaves=12)


@given(schema=SCHEMAS, seed=st.integers(0, 2**32))
@settings(max_examples=300, deadline=None)
def test_every_generated_body_validates(schema: dict[str, Any], seed: int) -> None:
    body = generate(schema, seed=seed, examples=False)
    assert answer_errors(schema, body) is None, (schema, body)


def test_an_optional_property_that_all_of_makes_impossible_is_left_out() -> None:
    schema = {"allOf": [
        {"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"enum": ["x"]}}},
        {"type": "object", "required": ["c"], "properties": {"a": {"type": "integer"}, "b": {"enum": ["y"]},
                                                             "c": {"type": "string"}}},
    ]}  # fmt: skip
    body = generate(schema, seed=1)
    assert set(body) == {"c"} and answer_errors(schema, body) is None


def test_prefer_forces_an_answer_of_any_operation(tmp_path: Path) -> None:
    for client in _client(tmp_path, SPECS / "names.yaml"):
        forced = client.post("/a", headers={"Prefer": "code=201"})  # operationId `create-thing.v2`
        assert forced.status_code == 201 and forced.headers["x-hub-mock"] == "generated"
    for client in _client(tmp_path / "examples", SPECS / "examples.yaml"):
        assert client.get("/weather", headers={"Prefer": "example=cloudy"}).json() == {"sky": "cloudy"}
        assert client.get("/weather").json() == {"sky": "clear"}
