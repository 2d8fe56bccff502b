"""What an OpenAPI 3.1 or 3.2 document needs before Connexion (which reads 3.0 only) and our
validators take it: a `$ref` beside other keywords made the `allOf` JSON Schema 2020-12 means
(Connexion merges a reference into the object around it, so a sibling would be overwritten), and
Connexion's view of it told it is 3.0, without what 3.0 has no place for."""

from __future__ import annotations

from typing import Any

from kataven_hub.openapi.loader import BUNDLED
from kataven_hub.openapi.pointers import escape, resolved
from kataven_hub.schemas.dialect import marked

ANNOTATIONS = frozenset({"$ref", "summary", "description"})
"""The keywords a 3.1 Reference Object may have beside `$ref`: with any other, it is a schema."""

PATH_ITEM = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace", "query", "parameters", "servers"})
"""Keywords of a path item, which may have a `$ref` beside them (and is no schema)."""

DIALECTS = ("https://json-schema.org/draft/2020-12/schema", "https://spec.openapis.org/oas/3.1/dialect/base",
            "https://spec.openapis.org/oas/3.1/dialect/2024-11-10", "https://spec.openapis.org/oas/3.2/dialect/2025-09-17")
"""The dialects a 3.1 or 3.2 document may name for its schemas (`jsonSchemaDialect`, `$schema`): 2020-12, and OpenAPI's own over it."""
REFUSED = {
    "$dynamicRef": "dynamic references ($dynamicRef) are not supported",
    "$dynamicAnchor": "dynamic references ($dynamicAnchor) are not supported",
    "$recursiveRef": "$recursiveRef (JSON Schema 2019-09) is not supported",
}
"""Schema keywords a 3.1 or 3.2 document may have that this server does not serve: each refuses the document."""
REFUSED_IN_PATH_ITEMS = {
    "query": "OpenAPI 3.2's QUERY method is not supported",
    "additionalOperations": "OpenAPI 3.2's additionalOperations (methods beyond HTTP's eight) are not supported",
}


def later(document: dict[str, Any]) -> bool:
    """Whether the document is OpenAPI 3.1 or later (its schemas JSON Schema 2020-12)."""
    return not str(document.get("openapi", "")).startswith(("3.0.", "2."))


def prepared(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of a 3.1 or 3.2 document as the server reads it: `refs_as_all_of`, and each schema
    marked as 2020-12's (`schemas.dialect.marked`: `1.0` an integer, its formats)."""
    return dict(marked(refs_as_all_of(document), keep=BUNDLED))


def refs_as_all_of(node: Any) -> Any:
    """A copy of `node` in which every schema with a `$ref` and other keywords beside it says so
    with an `allOf` (`{$ref: X, maxLength: 3}` is `{allOf: [{$ref: X}], maxLength: 3}`)."""
    if isinstance(node, list):
        return [refs_as_all_of(item) for item in node]
    if not isinstance(node, dict):
        return node
    copied = {key: refs_as_all_of(value) for key, value in node.items()}
    if isinstance(copied.get("$ref"), str) and set(copied) - ANNOTATIONS and not set(copied) & PATH_ITEM:
        reference = {"$ref": copied.pop("$ref")}
        copied["allOf"] = [reference, *(copied.get("allOf") or [])]
    return copied


def as_three_oh(view: dict[str, Any]) -> None:
    """Connexion's view of a 3.1 or 3.2 document (in place) made one it reads as 3.0: its version,
    its path items referenced from `components.pathItems` copied in, and what 3.0 has no place
    for (`webhooks`, `jsonSchemaDialect`, `components.pathItems`) left out: served as `hub routes`
    lists them, never called."""
    view["openapi"] = "3.0.3"
    paths = view.setdefault("paths", {})
    for path, item in list(paths.items()):
        if isinstance(item, dict) and "$ref" in item:
            paths[path] = {**resolved(view, item), **{k: v for k, v in item.items() if k not in ANNOTATIONS}}
    for key in ("webhooks", "jsonSchemaDialect"):
        view.pop(key, None)
    (view.get("components") or {}).pop("pathItems", None)
    info = view.get("info") or {}
    info.pop("summary", None)
    (info.get("license") or {}).pop("identifier", None)


def refused(document: dict[str, Any]) -> str | None:
    """What in a 3.1 or 3.2 document this server cannot serve, in one line naming its place; None
    when it can serve all of it."""
    dialect = document.get("jsonSchemaDialect")
    if dialect is not None and str(dialect).rstrip("#") not in DIALECTS:
        return f"#/jsonSchemaDialect: schemas in {str(dialect)[:80]!r} are not supported (JSON Schema 2020-12 only)"
    for where in ("paths", "webhooks"):
        for name, item in (document.get(where) or {}).items():
            for key in set(REFUSED_IN_PATH_ITEMS) & set(item if isinstance(item, dict) else {}):
                return f"#/{where}/{escape(name)}/{key}: {REFUSED_IN_PATH_ITEMS[key]}"
    return _refused(document, "#")


def _refused(node: Any, place: str) -> str | None:
    if isinstance(node, list):
        return next((found for index, item in enumerate(node) if (found := _refused(item, f"{place}/{index}"))), None)
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        if key in REFUSED:
            return f"{place}/{escape(key)}: {REFUSED[key]}"
        if key == "$ref" and isinstance(value, str) and not value.startswith("#/"):
            return f"{place}/$ref: {value[:80]!r}: only references to a place in the document (#/...) are supported"
        if key == "$schema" and isinstance(value, str) and value.rstrip("#") not in DIALECTS:
            return f"{place}/$schema: schemas in {value[:80]!r} are not supported (JSON Schema 2020-12 only)"
        found = _refused(value, f"{place}/{escape(str(key))}")
        if found:
            return found
    return None
