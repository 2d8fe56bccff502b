"""JSON Schema 2020-12's keywords as the mock's generator reads them (OpenAPI 3.1 and 3.2): `type`
lists, `const` beside `enum`, `examples`, `if`/`then`/`else`, `dependentRequired` and
`dependentSchemas`, `prefixItems` and `contains`, `contentEncoding`/`contentMediaType` strings."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from typing import Any

Flatten = Callable[[Any], dict[str, Any]]
Merge = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]

_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float), "null": (type(None),),
                                       "boolean": (bool,), "array": (list,), "object": (dict,)}  # fmt: skip


def kinds(schema: dict[str, Any]) -> list[str]:
    """The schema's `type` as a list (a 2020-12 list, or 3.0's one name); empty where it has none."""
    kind = schema.get("type")
    return (
        [kind] if isinstance(kind, str) else [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []
    )


def chosen_kind(rng: random.Random, schema: dict[str, Any]) -> str | None:
    """One of the schema's types: of a list, one drawn from those that are not `null` (a body with
    data says more than a null), `null` where it is the only one."""
    found = kinds(schema)
    if len(found) <= 1:
        return found[0] if found else None
    data = [kind for kind in found if kind != "null"]
    return rng.choice(data) if data else "null"


def fits(value: Any, schema: dict[str, Any]) -> bool:
    """Whether `value` is of one of the schema's types (null where `nullable`, a `null` type or no
    type at all; a bool is no number)."""
    found = [kind for kind in kinds(schema) if kind in _TYPES]
    if value is None:
        return bool(schema.get("nullable")) or "null" in found or "type" not in schema
    return not found or any(_fits_kind(value, kind) for kind in found)


def _fits_kind(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _TYPES[kind]) and not (
        kind == "integer" and isinstance(value, float) and not value.is_integer()
    )


def merged_types(a: dict[str, Any], b: dict[str, Any]) -> tuple[Any, bool]:
    """The `type` both schemas allow (an integer is a number) and whether none is left."""
    left, right = kinds(a), kinds(b)
    common = [k for k in left if k in right or (k == "integer" and "number" in right)]
    common += [k for k in right if k == "integer" and "number" in left and k not in common]
    if not common:
        return a["type"], True
    return (common[0] if len(common) == 1 else common), False


def allowed_values(schema: dict[str, Any]) -> list[Any] | None:
    """The values `const` or `enum` allow (None where the schema names none)."""
    if "const" in schema:
        return [schema["const"]]
    return list(schema["enum"]) if isinstance(schema.get("enum"), list) else None


def same(a: Any, b: Any) -> bool:
    """JSON's equality: a bool is no number (Python's `True == 1`)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def conditional(schema: dict[str, Any], flatten: Flatten, merge: Merge) -> dict[str, Any]:
    """The schema with its `if`/`then`/`else` taken one way: `if` and `then` merged in (a body that
    satisfies both takes the `then` way), else, where no body could, `else` merged in."""
    rest = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
    condition = schema["if"]
    if condition is not False:
        taken = merge(merge(rest, flatten(condition if condition is not True else {})), flatten(schema.get("then", {})))
        if not taken.get("x-hub-impossible"):
            return taken
    return merge(rest, flatten(schema.get("else", {})))


def dependents(schema: dict[str, Any], present: set[str], flatten: Flatten, merge: Merge) -> dict[str, Any]:
    """The object schema with what its present properties bring: the names `dependentRequired`
    requires, the schema `dependentSchemas` adds (each once), until nothing more comes."""
    done: set[str] = set()
    while True:
        names = set(present) | set(schema.get("required", []))
        wanted = [
            n
            for n in sorted(names - done)
            if n in (schema.get("dependentRequired") or {}) or n in (schema.get("dependentSchemas") or {})
        ]
        if not wanted:
            return schema
        for name in wanted:
            done.add(name)
            more = (schema.get("dependentRequired") or {}).get(name, [])
            schema = {**schema, "required": list(dict.fromkeys([*schema.get("required", []), *more]))}
            if name in (schema.get("dependentSchemas") or {}):
                schema = merge(schema, flatten(schema["dependentSchemas"][name]))


def item_schemas(schema: dict[str, Any], count: int) -> list[Any]:
    """The schema of each of `count` items: `prefixItems` first, `items` after them, the first
    `minContains` (1) of the rest also meeting `contains` (of the first items where none is left)."""
    prefix = _prefix(schema)
    rest = schema.get("items", {})
    found = [prefix[i] if i < len(prefix) else rest for i in range(count)]
    if "contains" in schema:
        wanted = min(schema.get("minContains", 1), count)
        start = len(prefix) if count - len(prefix) >= wanted else 0
        for i in range(start, start + wanted):
            if found[i] != schema["contains"]:
                found[i] = {"allOf": [_dict(found[i]), _dict(schema["contains"])]}
    return found


def item_count(schema: dict[str, Any], deep: bool) -> int:
    """How many items to draw: the least `minItems` (and `minContains`) allow, else one or more
    (as many as `prefixItems` names, and those meeting `contains` after them), within `maxItems`
    and no more than `prefixItems` with `items: false`."""
    low = max(schema.get("minItems", 0), schema.get("minContains", 1) if "contains" in schema else 0)
    high = schema.get("maxItems", low + 2)
    prefix = _prefix(schema)
    count = low if deep else min(max(low, 1, len(prefix)), max(high, low))
    if schema.get("items") is False:
        count = min(count, len(prefix))
    elif "contains" in schema:  # the items meeting `contains` come after `prefixItems`
        count = max(count, min(len(prefix) + schema.get("minContains", 1), high))
    return int(count)


def _prefix(schema: dict[str, Any]) -> list[Any]:
    found = schema.get("prefixItems")
    return found if isinstance(found, list) else []


def _dict(schema: Any) -> dict[str, Any]:
    """A boolean schema as an object: `true` as `{}`, `false` as one nothing satisfies."""
    if schema is False:
        return {"not": {}}
    return schema if isinstance(schema, dict) else {}


def content(rng: random.Random, schema: dict[str, Any], words: tuple[str, ...]) -> str | None:
    """A string holding `contentMediaType` (JSON as `{}`) encoded as `contentEncoding` says, or None."""
    if not {"contentEncoding", "contentMediaType"} & schema.keys():
        return None
    media = str(schema.get("contentMediaType", ""))
    text = "{}" if media.endswith("json") else rng.choice(words)
    encoding = str(schema.get("contentEncoding", "")).lower()
    if encoding == "base64":
        return base64.b64encode(text.encode()).decode()
    if encoding in ("base64url", "base64uri"):
        return base64.urlsafe_b64encode(text.encode()).decode()
    if encoding == "base16":
        return text.encode().hex().upper()
    return text


def first_example(schema: dict[str, Any], valid: Callable[[Any], bool]) -> tuple[bool, Any]:
    """The first of the schema's `examples` (a list, as in 2020-12) that is `valid`: (True, it), else (False, None)."""
    examples = schema.get("examples")
    for example in examples if isinstance(examples, list) else []:
        if valid(example):
            return True, example
    return False, None
