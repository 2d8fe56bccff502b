"""A consumer contract: per operation (`GET /pets/{id}`), the parameters and request fields a
consumer sent and, per status, the answer fields it received (JSON paths: `items[].name`), each with
one example; what a union of two contracts is; a JSON value as its field paths."""

from __future__ import annotations

import json
import re
from typing import Any

REDACTED = "<redacted>"
"""The example kept for a secret value (a credential, a `format: password` or `writeOnly` field)."""
ROOT = "$"
"""The path of a whole body that is not an object or an array with something in it."""
EXAMPLE_CHARS = 80
ITEMS_SAMPLED = 50
"""The items of an array whose fields are taken (fields are a union over them)."""
FIELDS_KEPT = 200
"""The field paths kept per body: a map keyed by ids must not grow a contract without bound."""
DEPTH = 24
_SEGMENT = re.compile(r'\["(?:[^"\\]|\\.)*"\]|\[\]|[^.\[]+')
_PLAIN = re.compile(r"[A-Za-z0-9_$@-][A-Za-z0-9_$@ -]*")

Contract = dict[str, Any]
"""`{"consumer": name, "operations": {"GET /pets": {"operationId", "parameters", "request", "answers"}}}`"""


def empty(consumer: str) -> Contract:
    return {"consumer": consumer, "operations": {}}


def union(old: Any, new: Any) -> Any:
    """Every key of both, recursively; where both have a value that is not a mapping, the old one
    (the first example seen stays: merging a run never changes what was there)."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return old
    merged = dict(old)
    for key, value in new.items():
        merged[key] = union(old[key], value) if key in old else value
    return merged


def fields(value: Any) -> dict[str, Any]:
    """The paths of a JSON value's leaves (`items[].name`), each with its first example; a body
    with no field (a string, `[]`, `{}`) is the one path `$`."""
    found: dict[str, Any] = {}
    _walk(value, "", found, 0)
    return found


def _walk(value: Any, prefix: str, found: dict[str, Any], depth: int) -> None:
    if len(found) >= FIELDS_KEPT:
        return
    if isinstance(value, dict) and value and depth < DEPTH:
        for key, inner in value.items():
            _walk(inner, join(prefix, str(key)), found, depth + 1)
    elif isinstance(value, list) and value and depth < DEPTH:
        for item in value[:ITEMS_SAMPLED]:
            _walk(item, prefix + "[]", found, depth + 1)
    else:
        found.setdefault(prefix or ROOT, example(value))


def join(prefix: str, key: str) -> str:
    """`prefix.key`, or `prefix["key"]` where the key is not a plain name."""
    if _PLAIN.fullmatch(key):
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{json.dumps(key)}]"


def segments(path: str) -> list[str]:
    """`items[].name` -> `["items", "[]", "name"]`; `$` -> `[]`."""
    if path == ROOT:
        return []
    return [json.loads(part[1:-1]) if part.startswith('["') else part for part in _SEGMENT.findall(path)]


def example(value: Any) -> Any:
    """A value as kept: long strings cut (still strings), containers empty."""
    if isinstance(value, str) and len(value) > EXAMPLE_CHARS:
        return value[: EXAMPLE_CHARS - 1] + "…"
    if isinstance(value, (dict, list)):
        return type(value)()
    return value


def dumps(contract: Contract) -> str:
    """The file's text: sorted, indented, one trailing newline (the same contract, the same bytes)."""
    return json.dumps(contract, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def loads(text: str, name: str) -> Contract:
    """A contract file's content; ValueError, in a line, if it is not one."""
    try:
        contract = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{name}: not JSON ({err.msg}, line {err.lineno})") from None
    if not (isinstance(contract, dict) and isinstance(contract.get("consumer"), str)
            and isinstance(contract.get("operations"), dict)):  # fmt: skip
        raise ValueError(f"{name}: not a consumer contract (an object with `consumer` and `operations`)")
    return contract
