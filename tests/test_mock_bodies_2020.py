"""Mock bodies for JSON Schema 2020-12 (OpenAPI 3.1, 3.2): generated schemas of every keyword the
generator reads get bodies `jsonschema.Draft202012Validator` takes (not our own validator), the same
for the same seed; and FastAPI's shapes (optional fields, literals, enums, discriminated unions,
nested models under `$defs`) answered through the mocker."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from kataven_hub.mock.mocker import Mocker
from kataven_hub.openapi.document import load_text, operations
from kataven_hub.schemas.generate import generate

Schema = Any
FORMATS = FormatChecker()
NAMES = st.sampled_from(["id", "name", "email", "kind", "size", "tags", "when", "note"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-50, 50), st.sampled_from(["a", "b", "ok", ""]))


def _errors(schema: Schema, body: Any) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:300] for e in validator.iter_errors(body)]


@st.composite
def _integers(draw: st.DrawFn) -> dict[str, Any]:
    """An integer range with at least one value: numeric exclusive bounds, 3.0's boolean ones, multipleOf."""
    low = draw(st.integers(-1000, 1000))
    schema: dict[str, Any] = {"type": "integer"}
    style = draw(st.sampled_from(["minimum", "exclusive", "both", "none"]))
    if style in ("minimum", "both"):
        schema["minimum"] = low
    if style in ("exclusive", "both"):
        schema["exclusiveMinimum"] = low - draw(st.sampled_from([0.5, 1, 3]))
    if draw(st.booleans()):
        schema["exclusiveMaximum" if draw(st.booleans()) else "maximum"] = low + draw(st.integers(12, 500))
    if draw(st.booleans()):
        schema["multipleOf"] = draw(st.sampled_from([2, 3, 5]))
    return schema


@st.composite
def _numbers(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 3)))
    schema: dict[str, Any] = {"type": "number", "exclusiveMinimum": low}
    if draw(st.booleans()):
        schema["exclusiveMaximum"] = low + draw(st.sampled_from([0.5, 1.0, 100.0]))
    return schema


@st.composite
def _strings(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    kind = draw(st.sampled_from(["plain", "format", "pattern", "content"]))
    if kind == "plain":
        low = draw(st.integers(0, 5))
        schema.update(minLength=low, maxLength=low + draw(st.integers(0, 10)))
    elif kind == "format":
        schema["format"] = draw(st.sampled_from(["email", "date", "date-time", "uuid", "ipv4", "uri", "hostname"]))
    elif kind == "pattern":
        schema["pattern"] = draw(st.sampled_from(["^[a-z]{3}$", "^[A-Z][0-9]{2}$", "^(red|blue)$"]))
    else:
        schema.update(
            contentEncoding="base64", contentMediaType=draw(st.sampled_from(["application/json", "text/plain"]))
        )
    return schema


def _typed_list(kinds: list[str]) -> dict[str, Any]:
    return {"type": kinds}


LEAVES: st.SearchStrategy[Schema] = st.one_of(
    _integers(), _numbers(), _strings(),
    st.sampled_from([{"type": "boolean"}, {"type": "null"}, True, {}]),
    SCALARS.map(lambda value: {"const": value}),
    st.lists(SCALARS, min_size=1, max_size=4).map(lambda values: {"enum": values}),
    st.lists(st.sampled_from(["string", "integer", "number", "boolean", "null", "array", "object"]),
             min_size=1, max_size=3, unique=True).map(_typed_list),
    _integers().map(lambda s: {**s, "examples": [-10**9 - 1, s.get("minimum", 0) - 100, "not a number"]}),
    st.sampled_from([{"type": "integer", "minimum": 0, "examples": [-1, 7]}, {"type": "string", "examples": ["first", "second"]}]),
)  # fmt: skip


def _objects(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        properties = draw(st.dictionaries(NAMES, children, min_size=1, max_size=4))
        names = list(properties)
        required = draw(st.lists(st.sampled_from(names), unique=True))
        schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
        if draw(st.booleans()):
            schema["additionalProperties"] = draw(st.sampled_from([False, True, {"type": "integer"}]))
        if draw(st.booleans()):
            optional = [n for n in names[2:] if n not in required]
            if optional:
                properties[optional[0]] = False  # must be absent
            if len(names) > 1 and draw(st.booleans()):
                schema["dependentRequired"] = {names[0]: names[1:2]}
        if draw(st.booleans()):
            schema["dependentSchemas"] = {names[0]: {"properties": {"extra": {"const": 1}}, "required": ["extra"]}}
            if schema.get("additionalProperties") is False:
                properties.setdefault("extra", {"type": "integer"})
        if draw(st.booleans()):
            schema["propertyNames"] = {"pattern": "^[a-z]+[0-9]*$", "maxLength": 12}
            if schema.get("additionalProperties", False) is not False:  # extras drawn where a schema is named for them
                schema["minProperties"] = min(len(names) + 1, 5)
        return schema

    return build()


def _arrays(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array"}
        if draw(st.booleans()):
            prefix = draw(st.lists(children, min_size=1, max_size=3))
            schema["prefixItems"] = prefix
            schema["items"] = draw(st.one_of(st.just(False), children))
            schema["minItems"] = draw(st.integers(0, len(prefix)))
        else:
            schema["items"] = draw(children)
            schema["minItems"] = draw(st.integers(0, 3))
        schema["maxItems"] = schema["minItems"] + draw(st.integers(0, 3))
        if schema.get("items") is not False and draw(st.booleans()):
            wanted = draw(st.integers(1, 2))
            schema["contains"] = {"type": "integer", "minimum": 5} if schema["items"] in ({}, True) else schema["items"]
            schema["minContains"] = wanted
            schema["maxItems"] = (
                max(schema["maxItems"], schema["minItems"]) + len(schema.get("prefixItems", [])) + wanted
            )
        return schema

    return build()


@st.composite
def _unions(draw: st.DrawFn, children: st.SearchStrategy[Schema]) -> dict[str, Any]:
    """A oneOf valid under exactly one branch: objects pinning `kind` with `const` (a discriminator)."""
    count = draw(st.integers(1, 3))
    branches = []
    for index in range(count):
        body = draw(children)
        branches.append({"type": "object", "properties": {"kind": {"const": f"k{index}"}, "value": body},
                         "required": ["kind", "value"]})  # fmt: skip
    schema: dict[str, Any] = {"oneOf": branches}
    if draw(st.booleans()):
        schema["discriminator"] = {"propertyName": "kind"}
    return schema


@st.composite
def _conditionals(draw: st.DrawFn, children: st.SearchStrategy[Schema]) -> dict[str, Any]:
    """An object whose `kind` decides (if/then/else) which further property is required."""
    return {
        "type": "object",
        "properties": {"kind": {"enum": ["a", "b"]}, "left": draw(children), "right": draw(children)},
        "required": ["kind"],
        "if": {"properties": {"kind": {"const": draw(st.sampled_from(["a", "b"]))}}},
        "then": {"required": ["left"]},
        "else": {"required": ["right"]},
    }


@st.composite
def _compositions(draw: st.DrawFn, children: st.SearchStrategy[Schema]) -> dict[str, Any]:
    """allOf of objects with their own properties (and `unevaluatedProperties: false` over them all),
    a `$ref` with siblings as the lead rewrites it, anyOf (FastAPI's optional), a oneOf, if/then/else."""
    kind = draw(st.sampled_from(["allOf", "ref", "anyOf", "oneOf", "if"]))
    if kind == "allOf":
        first = {"type": "object", "properties": {"a": draw(children)}, "required": ["a"]}
        second = {"properties": {"b": draw(children)}, "required": draw(st.sampled_from([[], ["b"]]))}
        return {"allOf": [first, second], "unevaluatedProperties": draw(st.sampled_from([False, True]))}
    if kind == "ref":
        target = draw(_integers())
        return {"allOf": [target, {"description": "siblings of a $ref", "examples": [target.get("minimum", 0) - 1]}]}
    if kind == "anyOf":
        return {"anyOf": [draw(children), {"type": "null"}], "default": None}
    if kind == "oneOf":
        return draw(_unions(children))
    return draw(_conditionals(children))


def _extend(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    return st.one_of(_objects(children), _arrays(children), _compositions(children))


SCHEMAS = st.recursive(LEAVES, _extend, max_leaves=8)


@given(schema=SCHEMAS, seed=st.integers(0, 10_000))
@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
def test_generated_bodies_validate_under_draft_2020_12(schema: Schema, seed: int) -> None:
    """Every body drawn validates, with `jsonschema`'s own 2020-12 validator and its formats; the
    same seed draws the same body."""
    Draft202012Validator.check_schema(schema)
    kept = copy.deepcopy(schema)
    body = generate(schema if isinstance(schema, dict) else {}, seed) if schema is not True else generate({}, seed)
    assert _errors(schema, body) == [], (schema, body)
    assert generate(schema if isinstance(schema, dict) else {}, seed) == body
    assert schema == kept  # the generator changes nothing it is given


FASTAPI = """
openapi: 3.1.0
info: {title: Pets, version: 0.1.0}
paths:
  /owners/{owner_id}:
    get:
      operationId: read_owner_owners__owner_id__get
      parameters:
        - {name: owner_id, in: path, required: true, schema: {type: integer, title: Owner Id}}
      responses:
        '200':
          description: Successful Response
          content: {application/json: {schema: {$ref: '#/components/schemas/Owner'}}}
components:
  schemas:
    Status: {type: string, enum: [active, away], title: Status}
    Cat:
      type: object
      title: Cat
      properties:
        pet_type: {type: string, const: cat, title: Pet Type}
        meows: {type: integer, exclusiveMinimum: 0, title: Meows}
      required: [pet_type, meows]
    Dog:
      type: object
      title: Dog
      properties:
        pet_type: {type: string, const: dog, title: Pet Type}
        barks: {type: number, exclusiveMinimum: 0.5, exclusiveMaximum: 1, title: Barks}
      required: [pet_type, barks]
    Owner:
      type: object
      title: Owner
      $defs:
        Address:
          type: object
          title: Address
          properties:
            city: {type: string, title: City}
            zip: {anyOf: [{type: string, pattern: '^[0-9]{5}$'}, {type: 'null'}], title: Zip}
          required: [city, zip]
      properties:
        id: {type: integer, title: Id}
        nickname: {anyOf: [{type: string, maxLength: 20}, {type: 'null'}], title: Nickname, default: null}
        kind: {type: string, const: owner, title: Kind, default: owner}
        status: {$ref: '#/components/schemas/Status'}
        pet:
          oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Dog'}]
          title: Pet
          discriminator:
            propertyName: pet_type
            mapping: {cat: '#/components/schemas/Cat', dog: '#/components/schemas/Dog'}
        address:
          anyOf: [{$ref: '#/components/schemas/Owner/$defs/Address'}, {type: 'null'}]
        tags: {type: array, items: {type: string}, title: Tags}
        scores: {type: array, prefixItems: [{type: string}, {type: integer}], items: false, minItems: 2}
      required: [id, kind, status, pet, address]
      additionalProperties: false
"""


def _fastapi_bodies(seeds: range) -> list[dict[str, Any]]:
    document = load_text(FASTAPI, "fastapi.yaml")
    (operation,) = operations(document)
    schema = operation.definition["responses"]["200"]["content"]["application/json"]["schema"]
    bodies = []
    for seed in seeds:
        body = Mocker([operation], seed=seed).draft(operation.operation_id).body
        assert _errors(schema, body) == [], body
        bodies.append(body)
    return bodies


def test_fastapi_models_answer_bodies_that_validate_under_2020_12() -> None:
    bodies = _fastapi_bodies(range(12))
    assert {body["kind"] for body in bodies} == {"owner"}  # a Literal is its const
    assert {body["status"] for body in bodies} <= {"active", "away"}
    assert {body["pet"]["pet_type"] for body in bodies} == {"cat", "dog"}  # the discriminated union, both ways
    assert all(("meows" in b["pet"]) == (b["pet"]["pet_type"] == "cat") for b in bodies)
    assert {b["nickname"] is None for b in bodies if "nickname" in b} == {True, False}  # Optional[str]: both
    assert all(len(b["scores"]) == 2 and isinstance(b["scores"][1], int) for b in bodies if "scores" in b)
    assert _fastapi_bodies(range(3)) == bodies[:3]  # the same seed, the same bodies


def test_numeric_exclusive_bounds_and_the_3_0_boolean_ones() -> None:
    assert {generate({"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7}, s) for s in range(10)} == {6}
    old = {"type": "integer", "minimum": 5, "exclusiveMinimum": True, "maximum": 7, "exclusiveMaximum": True}
    assert {generate(old, s) for s in range(10)} == {6}
    drawn = {generate({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, s) for s in range(10)}
    assert all(0 < value < 1 for value in drawn)
    assert generate({"type": "integer", "exclusiveMinimum": 2.5, "maximum": 3}) == 3


def test_the_first_of_examples_that_validates_is_taken_where_examples_are() -> None:
    schema = {"type": "integer", "minimum": 0, "examples": [-1, "seven", 7, 8]}
    assert generate(schema) == 7
    assert generate(schema, examples=False) != 7 or generate(schema, 1, examples=False) != 7


def test_a_false_property_is_left_out_and_unevaluated_properties_false_adds_none() -> None:
    schema = {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                        {"properties": {"b": {"type": "string"}, "c": False}}],
              "unevaluatedProperties": False, "minProperties": 1}  # fmt: skip
    for seed in range(5):
        body = generate(schema, seed)
        assert set(body) == {"a", "b"} and _errors(schema, body) == []


def test_if_then_else_and_dependent_keywords() -> None:
    schema = {"type": "object", "properties": {"country": {"const": "US"}, "zip": {"type": "string"}, "card": {"type": "string"}},
              "if": {"properties": {"country": {"const": "US"}}, "required": ["country"]},
              "then": {"properties": {"zip": {"pattern": "^[0-9]{5}$"}}, "required": ["zip"]},
              "dependentRequired": {"card": ["billing"]},
              "dependentSchemas": {"card": {"properties": {"billing": {"type": "integer", "exclusiveMinimum": 0}}}}}  # fmt: skip
    for seed in range(5):
        body = generate(schema, seed)
        assert body["country"] == "US" and len(body["zip"]) == 5 and body["billing"] > 0
        assert _errors(schema, body) == []
