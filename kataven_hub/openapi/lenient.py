"""What is wrong with a document served `--lenient`: every problem openapi-spec-validator finds,
each with its place, the operations they leave unservable (answered `501`, saying why), and the
document repaired as far as it is served (what the view, the mock and its checks all read)."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator

from kataven_hub.openapi.document import METHODS
from kataven_hub.openapi.loader import one_line
from kataven_hub.openapi.metacheck import CHECKER_FAILURES, cannot_check, errors
from kataven_hub.openapi.pointers import escape, path_refs_inlined

_TOP = {"openapi", "info", "servers", "paths", "components", "security", "tags", "externalDocs"}
_UNRESOLVED = re.compile(r"for '(\w+)' operation in '([^']*)'")
_SHORT = 200


@dataclasses.dataclass(frozen=True)
class Problem:
    place: str
    """A JSON path: `$.paths['/pets/{id}'].get`."""
    message: str
    path: str | None = None
    """The path, and the method when it is one operation's, of the problem; None elsewhere."""
    method: str | None = None
    where: tuple[Any, ...] = ()
    """The place as keys, where the validator gave one."""

    def __str__(self) -> str:
        return f"invalid OpenAPI at {self.place}: {self.message}"


def problems(document: dict[str, Any]) -> list[Problem]:
    """Every problem of the document, once, in the validator's order (nothing when it is valid)."""
    found: list[Problem] = []
    try:
        reported = list(errors(document))
    except CHECKER_FAILURES as err:
        raise cannot_check(err) from None
    for error in reported:
        where = list(getattr(error, "absolute_path", []))
        if where and where[0] not in _TOP:  # a nested schema's own error, reported again at its place
            continue
        problem = _problem(error, where)
        if problem not in found:
            found.append(problem)
    return found


def unservable(document: dict[str, Any], found: list[Problem]) -> dict[str, str]:
    """operationId: the first problem inside it (or its path item), for every operation with one."""
    reasons: dict[str, str] = {}
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if not isinstance(operation, dict):
                continue
            inside = [p for p in found if p.path == path and p.method in (None, method)]
            if inside:
                reasons[str(operation.get("operationId"))] = f"not served: {inside[0]} (served --lenient)"
    return reasons


def broken_schemas(found: list[Problem]) -> list[str]:
    """The names of the component schemas with a problem (served as schemas anything satisfies)."""
    names = [str(p.where[2]) for p in found if p.where[:2] == ("components", "schemas") and len(p.where) > 2]
    return list(dict.fromkeys(names))


def repaired(document: dict[str, Any], found: list[Problem]) -> dict[str, Any]:
    """The document as `--lenient` serves it: in each broken component schema of a 3.0 document,
    each smallest part the meta-schema refuses one any value satisfies (the whole schema, in a 3.1
    one; a `$ref` into what is replaced is first replaced by a copy of its target). Connexion's
    view, the mock and its checks are all built from it; `/openapi.json` shows the document as written."""
    broken = broken_schemas(found)
    if not broken:
        return document
    fixed = path_refs_inlined(document, tuple(f"#/components/schemas/{escape(name)}/" for name in broken))
    schemas = fixed["components"]["schemas"]  # a copy: path_refs_inlined builds every mapping anew
    three_oh = str(document.get("openapi", "")).startswith("3.0")
    for name in broken:
        schemas[name] = mended(schemas[name]) if three_oh else {}
    return fixed


_PARTS = {"properties": dict, "patternProperties": dict, "allOf": list, "anyOf": list, "oneOf": list,
          "items": None, "additionalProperties": None, "not": None}  # fmt: skip
"""Where a schema holds schemas: a mapping of them, a list of them, or one (None)."""


def mended(schema: Any) -> Any:
    """A 3.0 schema with each smallest part its meta-schema refuses (`type: "null"`, a 3.1 habit)
    made one any value satisfies, its other rules kept."""
    if _schema_checker().is_valid(schema):
        return schema
    if not isinstance(schema, dict):
        return {}
    whole = dict(schema)
    for key, holds in _PARTS.items():
        part = schema.get(key)
        if holds is dict and isinstance(part, dict):
            whole[key] = {name: mended(sub) for name, sub in part.items()}
        elif holds is list and isinstance(part, list):
            whole[key] = [mended(sub) for sub in part]
        elif holds is None and isinstance(part, dict):
            whole[key] = mended(part)
    return whole if _schema_checker().is_valid(whole) else {}


@functools.cache
def _schema_checker() -> Draft4Validator:
    """OpenAPI 3.0's meta-schema of a Schema object (a `$ref` one is a Reference object, valid)."""
    meta = json.loads((resources.files("openapi_spec_validator") / "resources/schemas/v3.0/schema.json").read_text())
    return Draft4Validator({"oneOf": [{"$ref": "#/definitions/Schema"}, {"$ref": "#/definitions/Reference"}],
                            "definitions": meta["definitions"]})  # fmt: skip


def _problem(error: Any, where: list[Any]) -> Problem:
    message = one_line(str(getattr(error, "message", error)), _SHORT)
    unresolved = _UNRESOLVED.search(message)
    if unresolved:
        method, path = unresolved.groups()
        return Problem(f"$.paths['{path}'].{method}", message, path, method)
    place = str(getattr(error, "json_path", "$"))
    if len(where) >= 2 and where[0] == "paths":
        method = where[2] if len(where) > 2 and where[2] in METHODS else None
        return Problem(place, message, str(where[1]), method, tuple(where))
    return Problem(place, message, where=tuple(where))

