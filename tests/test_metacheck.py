"""The check of a document (`openapi.metacheck`) gives openapi-spec-validator's own verdict
and message, its check of each schema by the dialect's meta-schema made by jsonschema-rs first."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate as library_validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from kataven_hub.openapi.metacheck import validate

SPECS = Path(__file__).parent / "specs"


def _verdict(check: Any, document: dict[str, Any]) -> str:
    try:
        check(copy.deepcopy(document))
    except OpenAPIValidationError as error:
        return f"{error.json_path}: {error.message}"
    return "valid"


def _with_schema(schema: Any, spec: str = "keywords31.yaml") -> dict[str, Any]:
    document = yaml.safe_load((SPECS / spec).read_text())
    document["components"]["schemas"]["Added"] = schema
    return document


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"n": {"type": ["integer", "null"]}}},  # valid
    {"type": "animal"},  # not a type
    {"type": "object", "properties": {"n": {"minimum": "one"}}},  # deep inside
    {"type": "string", "pattern": "[unclosed"},  # a format of the meta-schema (regex): the library's check
    {"type": "string", "pattern": "^(?<year>[0-9]{4})$"},  # ECMA 262's named group, which Python's re refuses
    {"discriminator": "kind"},  # OpenAPI's own vocabulary: an object
])  # fmt: skip
@pytest.mark.parametrize("spec", ["keywords31.yaml", "petstore-expanded.yaml"])  # 3.1 and 3.0
def test_the_verdict_and_message_are_the_librarys(schema: dict[str, Any], spec: str) -> None:
    document = _with_schema(schema, spec)
    assert _verdict(validate, document) == _verdict(library_validate, document)


@pytest.mark.parametrize("spec", ["keywords31.yaml", "petstore-expanded.yaml"])
def test_a_broken_schema_is_still_refused(spec: str) -> None:
    assert _verdict(validate, _with_schema({"type": "animal"}, spec)).startswith("$.")
    assert _verdict(validate, yaml.safe_load((SPECS / spec).read_text())) == "valid"
