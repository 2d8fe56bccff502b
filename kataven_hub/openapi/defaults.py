"""Defaults their own schema refuses (`default: "inf"` under `type: integer`, `null` under a
`oneOf`): Connexion refuses the whole document for one, so its view leaves them out, a warning
line for each."""

from __future__ import annotations

from typing import Any

from connexion.json_schema import NullableTypeValidator
from jsonschema import Draft4Validator
from jsonschema.validators import extend

from kataven_hub.openapi.pointers import escape

_Instance = extend(Draft4Validator, {"type": NullableTypeValidator})


def drop_mistyped(document: dict[str, Any]) -> list[str]:
    """Every schema's `default` the schema refuses (as Connexion checks it), removed; a warning each."""
    checker = _Instance(document)
    return _drop(checker, document.get("components"), "#/components") + _drop(checker, document.get("paths"), "#/paths")


def _drop(checker: Draft4Validator, node: Any, pointer: str) -> list[str]:
    warnings: list[str] = []
    if isinstance(node, dict):
        if "default" in node and not pointer.endswith("/responses") and not _valid(checker, node):
            warnings.append(f"{pointer}/default: {str(node.pop('default'))[:40]!r} is refused by its own schema: left out")
        for key, value in node.items():
            warnings += _drop(checker, value, f"{pointer}/{escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            warnings += _drop(checker, value, f"{pointer}/{index}")
    return warnings


def _valid(checker: Draft4Validator, schema: dict[str, Any]) -> bool:
    """Whether the schema takes its default; a schema too broken to check by (`enum: null`) is
    left to the document's own validation."""
    try:
        return bool(checker.evolve(schema=schema).is_valid(schema["default"]))
    except (TypeError, AttributeError, KeyError, ValueError, LookupError):
        return True
