"""What an OpenAPI 3.1 or 3.2 document needs before Connexion (which reads 3.0 only) and our
validators take it: a `$ref` beside other keywords made the `allOf` JSON Schema 2020-12 means
(Connexion merges a reference into the object around it, so a sibling would be overwritten), and
Connexion's view of it told it is 3.0, without what 3.0 has no place for."""

from __future__ import annotations

from typing import Any

from kataven_hub.openapi.pointers import resolved

ANNOTATIONS = frozenset({"$ref", "summary", "description"})
"""The keywords a 3.1 Reference Object may have beside `$ref`: with any other, it is a schema."""

PATH_ITEM = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace", "query", "parameters", "servers"})
"""Keywords of a path item, which may have a `$ref` beside them (and is no schema)."""


def later(document: dict[str, Any]) -> bool:
    """Whether the document is OpenAPI 3.1 or later (its schemas JSON Schema 2020-12)."""
    return not str(document.get("openapi", "")).startswith(("3.0.", "2."))


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
