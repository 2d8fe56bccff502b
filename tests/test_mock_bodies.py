"""Mock bodies for the schemas real documents use: overlapping `oneOf`, discriminators with and
without `mapping`, branches that pin their discriminator with `enum`, required properties deep in
compositions, remembered answers completed so they validate, and a schema no body satisfies
named in one bounded line with its JSON pointer."""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kataven_hub import cli
from kataven_hub.app import create_app
from kataven_hub.mock.mocker import Mocker, MockFailure
from kataven_hub.openapi import Operation
from kataven_hub.openapi.document import _annotate_discriminators
from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.generate import generate
from tests.conftest import Hub, make_settings
from tests.helpers import with_paths


def _operation(schema: dict[str, Any], path: str = "/things") -> Operation:
    document = {"paths": {path: {"get": {"operationId": "getThings", "responses": {
        "200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}}}}}  # fmt: skip
    _annotate_discriminators(document)  # as loading does, before $refs are resolved
    definition = document["paths"][path]["get"]
    return Operation("getThings", "get", path, None, definition)


def _body(schema: dict[str, Any], seed: int = 0, request: str = "") -> Any:
    operation = _operation(schema)
    mocker = Mocker([operation], seed=seed)
    body = mocker.draft("getThings", request=request).body
    chosen = operation.definition["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer_errors(chosen, body) is None, body
    return body


SHIELD = {"type": "object", "required": ["type", "items"], "properties": {
    "type": {"type": "string", "enum": ["shield_list"]}, "items": {"type": "array", "items": {"type": "string"}}}}
SWORD = {"type": "object", "required": ["type"], "properties": {
    "type": {"type": "string", "enum": ["sword"]}, "edge": {"type": "integer", "minimum": 1}}}


def test_overlapping_one_of_answers_a_body_valid_under_exactly_one_branch() -> None:
    empty = {"type": "object", "nullable": True}
    named = {"type": "object", "properties": {"name": {"type": "string"}}}
    for seed in range(5):
        _body({"oneOf": [empty, named]}, seed)


def test_a_branch_that_pins_its_discriminator_with_enum_keeps_its_value() -> None:
    # no mapping: the value would be the $ref's name, `ShieldList`, which the branch's enum refuses
    schema = {"oneOf": [SHIELD, SWORD], "discriminator": {"propertyName": "type"}}
    schema["oneOf"] = [{"$ref": "#/components/schemas/ShieldList"}, {"$ref": "#/components/schemas/Sword"}]
    operation = _operation(schema)
    operation.definition["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"] = [SHIELD, SWORD]
    for seed in range(6):
        body = Mocker([operation], seed=seed).draft("getThings").body
        assert body["type"] in ("shield_list", "sword"), body


def test_discriminators_with_and_without_mapping() -> None:
    cat = {"type": "object", "required": ["kind", "meow"], "properties": {"kind": {"type": "string"},
                                                                        "meow": {"type": "boolean"}}}
    dog = {"type": "object", "required": ["kind", "bark"], "properties": {"kind": {"type": "string"},
                                                                        "bark": {"type": "boolean"}}}
    for mapping in ({"c": "#/components/schemas/Cat", "d": "#/components/schemas/Dog"}, None):
        schema = {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                  "discriminator": {"propertyName": "kind", **({"mapping": mapping} if mapping else {})}}
        operation = _operation(schema)
        resolved = operation.definition["responses"]["200"]["content"]["application/json"]["schema"]
        resolved["oneOf"] = [copy.deepcopy(cat), copy.deepcopy(dog)]
        kinds = set()
        for seed in range(8):
            body = Mocker([operation], seed=seed).draft("getThings").body
            assert answer_errors(resolved, body) is None
            kinds.add((body["kind"], "meow" in body))
        assert kinds <= ({("c", True), ("d", False)} if mapping else {("Cat", True), ("Dog", False)}), kinds


def test_required_properties_deep_in_compositions_are_generated() -> None:
    inner = {"allOf": [{"required": ["type"]}, {"oneOf": [SHIELD, SWORD]}]}
    schema = {"type": "object", "required": ["weapon", "extra"], "properties": {"weapon": inner},
              "allOf": [{"required": ["label"]}], "additionalProperties": {"type": "integer"}}
    for seed in range(5):
        body = _body(schema, seed)
        assert "type" in body["weapon"] and isinstance(body["extra"], int) and "label" in body


def test_the_documented_example_of_a_branch_answers_when_no_generated_body_validates() -> None:
    # any object with an `a` string or a `b` string is valid under both branches: only the example is under one
    schema = {"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}},
                        {"type": "object", "properties": {"b": {"type": "string"}}, "example": {"b": "x", "a": 1}}]}
    for seed in range(6):
        assert _body(schema, seed) == {"b": "x", "a": 1}


def test_a_schema_no_body_satisfies_is_named_once_in_one_bounded_line_with_its_pointer() -> None:
    big = {f"field{i}": {"type": "string", "description": "x" * 200} for i in range(100)}
    same = {"type": "object", "properties": big}
    operation = _operation({"oneOf": [same, copy.deepcopy(same)]}, path="/pets/list")
    mocker = Mocker([operation])
    problems = list(mocker.unsatisfiable())
    assert len(problems) == 1 and "\n" not in problems[0] and len(problems[0]) <= 400, problems
    assert "#/paths/~1pets~1list/get/responses/200/content/application~1json/schema/oneOf" in problems[0]
    try:
        mocker.draft("getThings")
    except MockFailure as failure:
        assert len(str(failure)) <= 400
    else:
        raise AssertionError("no failure")


def test_the_server_names_an_unsatisfiable_answer_once_at_start_up_in_one_bounded_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    same = {"type": "object", "properties": {f"f{i}": {"type": "string", "description": "y" * 300} for i in range(60)}}
    paths = {"/ambiguous": {"get": {"operationId": "getAmbiguous", "responses": {"200": {
        "description": "Either.", "content": {"application/json": {"schema": {"oneOf": [same, same]}}}}}}}}  # fmt: skip
    settings = make_settings(tmp_path / "data", spec=with_paths(tmp_path, paths), dev=True)

    def named() -> list[str]:
        return [r.getMessage() for r in caplog.records if "getAmbiguous" in r.getMessage() and "cannot answer" in r.getMessage()]

    with caplog.at_level(logging.WARNING):
        with create_app(settings).test_client() as client:
            assert client.get("/ambiguous", headers={"Authorization": "Bearer x"}).status_code in (401, 500)
            deadline = time.monotonic() + 30  # named off the event loop, once the server is up
            while not named() and time.monotonic() < deadline:
                time.sleep(0.05)
    lines = named()
    assert len(lines) == 1 and len(lines[0]) <= 500 and "\n" not in lines[0], lines
    assert "#/paths/~1ambiguous/get/responses/200/content/application~1json/schema/oneOf" in lines[0]
    assert all(len(r.getMessage()) < 1000 for r in caplog.records)


def test_a_log_line_is_cut_to_its_bound() -> None:
    record = logging.LogRecord("connexion", logging.WARNING, __file__, 1, "Validation error: %s", ("x" * 50_000,), None)
    assert cli._bounded(record) and len(record.getMessage()) == cli.LOG_LINE


LOOSE = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1},
                                                             "voice": {"type": "string"}}}  # fmt: skip
STRICT = {"allOf": [LOOSE, {"required": ["id", "voice", "team"], "properties": {
    "id": {"type": "string", "format": "uuid", "readOnly": True},
    "voice": {"type": "string", "enum": ["warm", "crisp"]},
    "team": {"oneOf": [SHIELD, SWORD], "discriminator": {"propertyName": "type"}}}}]}  # fmt: skip
CREATED = {"allOf": [LOOSE, {"required": ["id"], "properties": {"id": {"type": "string", "format": "uuid"}}}]}
VOICES = {
    "/api/v1/voices": {
        "post": {"operationId": "createVoice", "requestBody": {"required": True, "content": {"application/json": {
            "schema": LOOSE}}}, "responses": {"201": {"description": "Created.", "content": {"application/json": {
                "schema": CREATED}}}}},
        "get": {"operationId": "listVoices", "responses": {"200": {"description": "Voices.", "content": {
            "application/json": {"schema": {"type": "array", "items": STRICT}}}}}},
    },
    "/api/v1/voices/{voiceId}": {"get": {
        "operationId": "getVoice", "parameters": [{"name": "voiceId", "in": "path", "required": True,
                                                   "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The voice.", "content": {"application/json": {"schema": STRICT}}},
                      "404": {"$ref": "#/components/responses/NotFound"}}}},
}  # fmt: skip


def test_a_remembered_resource_is_completed_so_that_its_read_and_list_validate(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", spec=with_paths(tmp_path, VOICES))
    with create_app(settings).test_client() as client:  # responses validated: an answer that breaks STRICT is a 500
        acme = {"Authorization": f"Bearer {Hub(settings, client).key('acme')}"}
        created = client.post("/api/v1/voices", json={"name": "Ada", "voice": "loud"}, headers=acme)
        assert created.status_code == 201, created.text
        voice = created.json()
        assert voice["name"] == "Ada" and voice["voice"] in ("warm", "crisp") and "type" in voice["team"]
        read = client.get(f"/api/v1/voices/{voice['id']}", headers=acme)
        assert read.status_code == 200 and read.json() == voice, read.text
        assert answer_errors(STRICT, read.json()) is None
        listed = client.get("/api/v1/voices", headers=acme)
        assert listed.status_code == 200 and listed.json() == [voice], listed.text


# --- generated schemas -------------------------------------------------------------------------

_LEAVES = st.one_of(
    st.just({"type": "boolean"}),
    st.just({"type": "integer", "minimum": 0, "maximum": 9}),
    st.just({"type": "string", "nullable": True}),
    st.lists(st.sampled_from("abcd"), min_size=1, max_size=3, unique=True).map(lambda v: {"type": "string", "enum": v}),
)


def _objects(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    names = st.sampled_from(["a", "b", "c", "type"])
    return st.builds(
        lambda props, required, nullable: {"type": "object", "properties": props, "required": sorted(set(required)),
                                           **({"nullable": True} if nullable else {})},
        st.dictionaries(names, children, max_size=3), st.lists(names, max_size=2), st.booleans(),
    )  # fmt: skip


def _discriminated(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def build(parts: list[dict[str, Any]], pinned: bool, mapping: bool, key: str) -> dict[str, Any]:
        branches = []
        for i, part in enumerate(parts):
            kind = {"type": "string", **({"enum": [f"k{i}"]} if pinned else {})}
            branches.append({**part, "properties": {**part["properties"], "kind": kind},
                             "required": sorted({*part["required"], "kind"})})
        discriminator = {"propertyName": "kind", **({"mapping": {f"k{i}": f"#/S{i}" for i in range(len(parts))}}
                                                    if mapping else {})}  # fmt: skip
        return {key: branches, "discriminator": discriminator}

    return st.builds(build, st.lists(_objects(children), min_size=1, max_size=3), st.booleans(), st.booleans(),
                     st.sampled_from(["oneOf", "anyOf"]))  # fmt: skip


def _composite(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        _objects(children),
        st.builds(lambda item: {"type": "array", "items": item, "maxItems": 2}, children),
        st.lists(_objects(children), min_size=1, max_size=3).map(lambda parts: {"oneOf": parts}),  # may overlap
        st.lists(children, min_size=1, max_size=3).map(lambda parts: {"anyOf": parts}),
        st.lists(_objects(children), min_size=1, max_size=2).map(lambda parts: {"allOf": [{"required": ["a"]}, *parts]}),
        _discriminated(children),
    )


SCHEMAS = st.recursive(_LEAVES, _composite, max_leaves=8)


@given(schema=SCHEMAS, seed=st.integers(0, 1000))
@settings(max_examples=200, deadline=None)
def test_every_body_validates_or_the_schema_is_named_with_its_pointer(schema: dict[str, Any], seed: int) -> None:
    operation = _operation(schema)
    mocker = Mocker([operation], seed=seed)
    try:
        body = mocker.draft("getThings").body
    except MockFailure as failure:
        assert "#/paths/~1things/get/responses/200/content/application~1json/schema" in str(failure)
        assert len(str(failure)) <= 400 and list(mocker.unsatisfiable()) == [str(failure)]
        return
    chosen = operation.definition["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer_errors(chosen, body) is None, body


MESSAGE = {"type": "object", "required": ["message"], "additionalProperties": False,
           "properties": {"message": {"type": "string"}}}  # fmt: skip


def test_an_example_is_served_only_where_it_validates_a_json_text_parsed() -> None:
    as_text = {"schema": MESSAGE, "example": '{"message": "hi"}'}  # as Jira writes them
    assert _body(MESSAGE | {"example": '{"message": "hi"}'}) == {"message": "hi"}
    operation = _operation(MESSAGE)
    operation.definition["responses"]["200"]["content"]["application/json"] = as_text
    assert Mocker([operation]).draft("getThings").body == {"message": "hi"}
    extra = {"schema": MESSAGE, "examples": {"extra": {"value": {"message": "hi", "more": 1}}, "good": {"value": {"message": "ok"}}}}
    operation.definition["responses"]["200"]["content"]["application/json"] = extra
    assert Mocker([operation]).draft("getThings").body == {"message": "ok"}  # the first that validates
    missing = {"schema": MESSAGE, "examples": {"missing": {"value": {}}}}
    operation.definition["responses"]["200"]["content"]["application/json"] = missing
    draft = Mocker([operation]).draft("getThings")
    assert draft.kind == "generated" and answer_errors(MESSAGE, draft.body) is None


def test_a_named_example_that_does_not_validate_is_refused_with_a_400_naming_why(tmp_path: Path) -> None:
    examples = {"extra": {"value": {"message": "hi", "more": 1}}, "text": {"value": '{"message": "ok"}'}}
    paths = {"/things": {"get": {"operationId": "getThings", "responses": {"200": {
        "description": "ok", "content": {"application/json": {"schema": MESSAGE, "examples": examples}}}}}}}  # fmt: skip
    document = tmp_path / "small.yaml"
    document.write_text(yaml.safe_dump({"openapi": "3.0.3", "info": {"title": "S", "version": "1"}, "paths": paths}))
    settings = make_settings(tmp_path / "data", spec=document, dev=True)
    with create_app(settings).test_client() as client:
        plain = client.get("/things")
        assert plain.status_code == 200 and plain.json() == {"message": "ok"}, plain.text
        refused = client.get("/things", headers={"Prefer": "example=extra"})
        assert refused.status_code == 400 and "does not validate" in refused.text and "extra" in refused.text, refused.text
        parsed = client.get("/things", headers={"Prefer": "example=text"})
        assert parsed.status_code == 200 and parsed.json() == {"message": "ok"}


def test_an_enum_value_the_schema_type_refuses_is_never_drawn() -> None:
    state = {"type": "string", "enum": ["approved", "changes_requested", None]}
    drawn = {generate(state, seed) for seed in range(40)}
    assert drawn == {"approved", "changes_requested"}
    assert None in {generate({**state, "nullable": True}, seed) for seed in range(40)}
    assert {generate({"type": "integer", "enum": ["a", 2]}, seed) for seed in range(20)} == {2}


def test_a_pattern_beside_a_format_is_matched() -> None:
    magnet = {"type": "string", "format": "uri", "pattern": "/magnet:\\?xt=urn:[a-z0-9]+:[a-z0-9]{32}/i"}
    for seed in range(5):
        assert answer_errors(magnet, generate(magnet, seed)) is None
