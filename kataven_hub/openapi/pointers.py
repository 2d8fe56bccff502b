"""Reading a document by its local references and naming places in it by JSON pointer."""

from __future__ import annotations

import copy
from typing import Any


def resolved(document: dict[str, Any], node: Any) -> Any:
    """`node`, its local `$ref` followed (a few times at most); a copy where it was a reference."""
    for _ in range(8):
        reference = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(reference, str) or not reference.startswith("#/"):
            return node
        target: Any = document
        for part in reference[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            return node
        node = copy.deepcopy(target)
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
        target = resolved(document, node) if "$ref" in node else node
        if target is not node and not isinstance(target, dict):
            return copy.deepcopy(target)
        return {key: inlined(value) for key, value in node.items()}

    return dict(inlined(document))
