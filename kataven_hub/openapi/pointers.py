"""Reading a document by its local references and naming places in it by JSON pointer."""

from __future__ import annotations

import copy
from collections.abc import Iterator
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
            part = _token(part)
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


def path_refs_inlined(document: dict[str, Any], under: tuple[str, ...] = ("#/paths/",), *,
                      inlined_refs: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """`document` with each `$ref` to a place `under` these (an operation's parameter used by
    another) replaced by a copy of its target: the view may replace what it points into. Each
    reference copied is added to `inlined_refs`."""

    def inlined(node: Any, within: frozenset[str] = frozenset()) -> Any:
        if isinstance(node, list):
            return [inlined(item, within) for item in node]
        if not isinstance(node, dict):
            return node
        reference = str(node.get("$ref", ""))
        if reference.startswith(under) and reference not in within:  # a recursive one stays a reference
            target = followed(document, {"$ref": reference})
            if target is not None and "$ref" not in (target if isinstance(target, dict) else {}):
                if inlined_refs is not None:
                    inlined_refs.append(reference)
                return inlined(target, within | {reference})
        return {key: inlined(value, within) for key, value in node.items()}

    return dict(inlined(document))


def path_refs_shared(source: dict[str, Any], view: dict[str, Any], under: str = "#/paths/") -> None:
    """Each copy `path_refs_inlined` made of what a `$ref` of `source` points at `under` this,
    made that `$ref` again in `view` (in place) where it is equal to what the reference points at
    in `view`: Connexion resolves the reference to the same thing, without copying it (a document
    that refers to its operations thousands of times was a view five times its size, which
    Connexion copies twice). A copy the view changed, or whose target it changed or moved, stays a
    copy; no reference is made through a place another one replaced, nor at a place on the way to
    another's target."""
    equal = []
    for place, reference in _references(source, (), under):
        target = tuple(_token(part) for part in reference[2:].split("/"))
        found, pointed = _at(view, place), _at(view, target)
        if found is not None and pointed is not None and _equal(found, pointed):
            equal.append((found, place, target, reference))
    made: set[tuple[str, ...]] = set()
    passed: set[tuple[str, ...]] = set()  # every place on the way to a target made a reference to
    for (parent, key), place, target, reference in equal:
        if place in passed or any(target[:n] in made for n in range(len(target) + 1)):
            continue
        parent[key] = {"$ref": reference}
        made.add(place)
        passed.update(target[:n] for n in range(len(target) + 1))


def _equal(found: tuple[Any, Any], pointed: tuple[Any, Any]) -> bool:
    copied, target = found[0][found[1]], pointed[0][pointed[1]]
    return copied is not target and copied == target


def _references(node: Any, place: tuple[str, ...], under: str) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith(under):
            yield place, node["$ref"]
            return
        for key, value in node.items():
            yield from _references(value, (*place, str(key)), under)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _references(value, (*place, str(index)), under)


def _token(part: str) -> str:
    """One token of a reference's JSON pointer, as the key it names (a URI fragment: `%7B` is `{`)."""
    return unquote(part).replace("~1", "/").replace("~0", "~")


def _at(document: Any, place: tuple[str, ...]) -> tuple[Any, Any] | None:
    """(the container, the key or index) of what is at `place` in `document`; None if nothing is,
    or the way passes a `$ref`."""
    parent: Any = None
    key: Any = None
    node = document
    for part in place:
        if isinstance(node, dict) and "$ref" not in node and part in node:
            parent, key, node = node, part, node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            parent, key, node = node, int(part), node[int(part)]
        else:
            return None
    return None if parent is None else (parent, key)
