"""The contract: openapi.yaml read and checked once, and walked operation by operation."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml
from connexion.json_schema import resolve_refs
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from kataven_hub.errors import ConfigurationError

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SHORT = 160
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it: a tenth of the pure-Python one's time."""


@dataclasses.dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    tag: str | None
    definition: dict[str, Any]
    """The operation object, every $ref resolved; `security` filled in from the document's."""

    @property
    def summary(self) -> str:
        return str(self.definition.get("summary") or self.operation_id)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


def load(path: Path) -> dict[str, Any]:
    """The document at `path`, checked with openapi-spec-validator; ConfigurationError says, in
    one line, what is wrong and where."""
    try:
        document = yaml.load(path.read_text(), Loader=_LOADER)
    except OSError as err:
        raise ConfigurationError(f"{path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigurationError(f"{path}: not YAML: {_one_line(str(err))}") from None
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.0."):
        raise ConfigurationError(f"{path}: not an OpenAPI 3.0 document (Connexion 3.3 serves 3.0.x only)")
    try:
        validate(document)
    except OpenAPIValidationError as err:
        raise ConfigurationError(f"{path}: invalid OpenAPI at {err.json_path}: {_one_line(err.message)}") from None
    return document


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation of the document, in its order."""
    resolved = resolve_refs(document)
    security = resolved.get("security", [])
    found = []
    for path, item in resolved.get("paths", {}).items():
        for method in METHODS:
            definition = item.get(method)
            if definition is None:
                continue
            definition = {"security": security, **definition}
            shared = [p for p in item.get("parameters", []) if p not in definition.get("parameters", [])]
            definition["parameters"] = [*shared, *definition.get("parameters", [])]
            if not definition.get("operationId"):
                raise ConfigurationError(f"{method.upper()} {path}: no operationId (it names the handler)")
            tags = definition.get("tags") or [None]
            found.append(Operation(definition["operationId"], method, path, tags[0], definition))
    return found


def _one_line(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else message
    return line if len(line) <= _SHORT else line[: _SHORT - 1] + "…"
