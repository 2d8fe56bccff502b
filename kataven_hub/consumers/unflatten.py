"""Field paths back into JSON: a body rebuilt from a contract's fields (`unflatten`), the values a
path reaches in an answer (`reach`, and the empty array that left it none), a value's JSON type."""

from __future__ import annotations

from typing import Any

from kataven_hub.consumers.contract import ROOT, join, segments


def unflatten(found: dict[str, Any]) -> Any:
    """`{"a.b": 1, "items[].x": 2}` -> `{"a": {"b": 1}, "items": [{"x": 2}]}`: an array's fields go
    into its one item, `$` is the whole body, and a deeper path wins over the empty container an
    earlier run recorded at its place (`tags: []`, then `tags[].x`)."""
    if set(found) == {ROOT}:
        return found[ROOT]
    body: Any = None
    for path, value in sorted(found.items(), key=lambda item: (len(segments(item[0])), item[0])):
        if path != ROOT:
            body = _put(body, segments(path), value)
    return body


def _put(node: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if head == "[]":
        items = node if isinstance(node, list) and node else [None]
        items[0] = _put(items[0], rest, value)
        return items
    fields = node if isinstance(node, dict) else {}
    fields[head] = _put(fields.get(head), rest, value)
    return fields


def reach(body: Any, path: list[str]) -> tuple[list[Any], str | None]:
    """The values `path` leads to in `body` (through every item of each array on the way) and,
    where it leads to none because an array on the way is empty, that array's path (else None)."""
    values, walked, empty = [body], "", None
    for segment in path:
        found: list[Any] = []
        for value in values:
            if segment == "[]" and isinstance(value, list):
                empty = empty if value or empty is not None else walked or ROOT
                found += value
            elif segment != "[]" and isinstance(value, dict) and segment in value:
                found.append(value[segment])
        values = found
        walked = walked + "[]" if segment == "[]" else join(walked, segment)
    return values, (empty if not values else None)


def json_type(value: Any) -> str:
    """`null`, `boolean`, `number`, `string`, `array` or `object` (an integer is a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
