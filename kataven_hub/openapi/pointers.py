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
