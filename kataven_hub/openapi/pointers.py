"""Reading a document by its local references and naming places in it by JSON pointer."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import unquote


def resolved(document: dict[str, Any], node: Any) -> Any:
    """`node`, its local `$ref` followed (a few times at most); a copy where it was a reference."""
    target = followed(document, node)
    return node if target is node else copy.deepcopy(target)


def followed(document: dict[str, Any], node: Any) -> Any:
    """What `node`'s local `$ref` points at (a few times at most), not copied: to read, never to change."""
    for _ in range(8):
        reference = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(reference, str) or not reference.startswith("#/"):
            return node
        target: Any = document
        for part in reference[2:].split("/"):
            part = unquote(part).replace("~1", "/").replace("~0", "~")  # a URI fragment: `%7B` is `{`
            if isinstance(target, list):
                target = target[int(part)] if part.isdigit() and int(part) < len(target) else None
            else:
                target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            return node
        node = target
    return node


def escape(part: str) -> str:
    """`part` as one token of a JSON pointer."""
    return part.replace("~", "~0").replace("/", "~1")


def values_inlined(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` with each local `$ref` to something other than an object (a list, in
    an extension: `x-policy: {$ref: '#/components/x-policies/list'}`) replaced by a copy of it:
    Connexion resolves references by merging the target into the referring object."""

    def inlined(node: Any) -> Any:
        if isinstance(node, list):
            return [inlined(item) for item in node]
        if not isinstance(node, dict):
            return node
        target = followed(document, node) if "$ref" in node else node
        if target is not node and not isinstance(target, dict):
            return copy.deepcopy(target)
        return {key: inlined(value) for key, value in node.items()}

    return dict(inlined(document))


def path_refs_inlined(document: dict[str, Any], under: tuple[str, ...] = ("#/paths/",)) -> dict[str, Any]:
    """`document` with each `$ref` to a place `under` these (an operation's parameter used by
    another) replaced by a copy of its target: the view may replace what it points into."""

    def inlined(node: Any, within: frozenset[str] = frozenset()) -> Any:
        if isinstance(node, list):
            return [inlined(item, within) for item in node]
        if not isinstance(node, dict):
            return node
        reference = str(node.get("$ref", ""))
        if reference.startswith(under) and reference not in within:  # a recursive one stays a reference
            target = followed(document, {"$ref": reference})
            if target is not None and "$ref" not in (target if isinstance(target, dict) else {}):
                return inlined(target, within | {reference})
        return {key: inlined(value, within) for key, value in node.items()}

    return dict(inlined(document))
