"""Bodies generated from an OpenAPI 3.0 schema, for the mock: the same seed gives the same body.

The schema is first flattened (`schemas.flatten`), `writeOnly` fields left out of answers. Then
every shape gets a value within its rules: enums, formats, patterns (through `rstr`), lengths,
ranges and `multipleOf`, item counts and `uniqueItems`, `additionalProperties`; a recursive schema stops adding optional fields at `MAX_DEPTH`. A string
the schema leaves free looks like its field's name (`email`, `name`, `phone`, `url`,
`created_at`, ...) where that value fits its lengths. A `oneOf`/`anyOf`
gets a value its validator takes (`schemas.answers`): branches tried in turn. The caller validates
the whole body (`mock.mocker`), and draws again from another seed where it does not fit.
"""

from __future__ import annotations

import base64
import math
import random
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import rstr

from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.branches import composition
from kataven_hub.schemas.fieldnames import WORDS, named
from kataven_hub.schemas.flatten import IMPOSSIBLE, flatten, flatten_branch

MAX_DEPTH = 4
"""Objects below this depth get only their required fields, arrays only their minimum of items."""
_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def generate(schema: dict[str, Any], seed: int | str = 0, *, examples: bool = True) -> Any:
    """A value for `schema` (as an answer: `writeOnly` fields left out), drawn from `seed`; the
    `example` a schema gives is taken as it is, unless `examples` is false."""
    return _Draw(random.Random(str(seed)), examples).value(schema, 0)


class _Draw:
    def __init__(self, rng: random.Random, examples: bool) -> None:
        self.rng = rng
        self.examples = examples
        self.patterns = rstr.Rstr(rng)

    def value(self, schema: dict[str, Any], depth: int, name: str = "") -> Any:
        """A value for `schema`; `name`, the field's, shapes a string the schema leaves free."""
        if isinstance(schema, dict) and composed(schema):
            return self._composed(schema, depth, name)
        return self._flat(flatten(schema, self.rng), depth, name)

    def _composed(self, schema: dict[str, Any], depth: int, name: str) -> Any:
        """A value valid under exactly one branch of a `oneOf` (under the whole composition): each
        branch tried in turn from one drawn, each twice (its own branches drawn anew), then null
        where a branch allows it; the last try if none is (the caller's validation says so)."""
        key = composition(schema)
        count = len(schema[key]) if key else 1
        start = self.rng.randrange(count)
        found: Any = None
        for attempt in range(2 * count):
            index = (start + attempt) % count
            flat = flatten_branch(schema, index, self.rng) if key else flatten(schema, self.rng)
            found = self._flat(flat, depth, name)
            if answer_errors(schema, found) is None:
                return found
        if answer_errors(schema, None) is None:
            return None
        return found

    def _flat(self, schema: dict[str, Any], depth: int, name: str) -> Any:
        if self.examples and "example" in schema:
            return schema["example"]
        allowed = [v for v in schema.get("enum") or [] if _fits(v, schema)]
        if allowed:
            return self.rng.choice(allowed)
        kind = schema.get("type") or _implied_type(schema)
        if kind == "string" and name and not {"format", "pattern"} & schema.keys():
            text = named(self.rng, name, _formatted)
            if text is not None and schema.get("minLength", 0) <= len(text) <= schema.get("maxLength", len(text)):
                return text
        return getattr(self, f"_{kind}", self._string)(schema, depth)

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        found: dict[str, Any] = {}
        for name, sub in properties.items():
            sub = sub if isinstance(sub, dict) else {}
            if sub.get("writeOnly"):  # required in requests only (OpenAPI 3.0)
                continue
            if name not in required and flatten(sub).get(IMPOSSIBLE):
                continue
            if name in required or depth < MAX_DEPTH:
                found[name] = self.value(sub, depth + 1, name)
        extra = schema.get("additionalProperties", not properties)
        for name in required - properties.keys():  # required by a part of a composition that names no schema for it
            found[name] = self.value(extra if isinstance(extra, dict) else {}, depth + 1, name)
        wanted = max(schema.get("minProperties", 0), 0 if properties else 1)
        while extra is not False and len(found) < wanted:
            key = f"{WORDS[len(found) % len(WORDS)]}{len(found)}"
            found[key] = self.value(extra if isinstance(extra, dict) else {"type": "string"}, depth + 1)
        return found

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        low = schema.get("minItems", 0)
        high = schema.get("maxItems", low + 2)
        count = low if depth >= MAX_DEPTH else min(max(low, 1), high)
        items = schema.get("items") or {}
        found: list[Any] = []
        for _attempt in range(count * 20):
            if len(found) == count:
                break
            item = self.value(items, depth + 1)
            if not schema.get("uniqueItems") or item not in found:
                found.append(item)
        return found

    def _string(self, schema: dict[str, Any], _depth: int) -> str:
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        text = _formatted(self.rng, schema.get("format"))
        if "pattern" in schema and (text is None or not _matches(schema["pattern"], text)):
            text = self._patterned(schema["pattern"], low, high)
        if text is None:
            text = self.rng.choice(WORDS)
        if len(text) < low:
            text += "x" * (low - len(text))
        return text if high is None else text[:high]

    def _patterned(self, pattern: str, low: int, high: int | None) -> str:
        for _ in range(20):
            text = self.patterns.xeger(pattern)
            if low <= len(text) <= (high if high is not None else len(text)):
                return text
        return text

    def _integer(self, schema: dict[str, Any], _depth: int) -> int:
        low, high = _INT_RANGES.get(schema.get("format", ""), (-(2**63), 2**63 - 1))
        low, high = _bounds(schema, low, high, step=1)
        step = schema.get("multipleOf", 1)
        first, last = math.ceil(low / step), math.floor(high / step)
        if last < first:  # no value: the caller's validation says so
            return int(low)
        if step != 1:
            return int(step * self.rng.randint(first, min(last, first + 100)))
        start = max(low, min(high, 1))
        return self.rng.randint(start, min(high, start + 1000))

    def _number(self, schema: dict[str, Any], _depth: int) -> float | int:
        low, high = _bounds(schema, -1e9, 1e9, step=1e-6)
        step = schema.get("multipleOf")
        if step:
            first, last = math.ceil(low / step), math.floor(high / step)
            return float(step * self.rng.randint(first, max(first, min(last, first + 100))))
        start = max(low, min(high, 0.0))
        if high - start <= 0.01:
            return start
        value = round(self.rng.uniform(start, min(high, start + 1000.0)), 2)
        return min(max(value, start), high)  # rounding must not step outside the range

    def _boolean(self, _schema: dict[str, Any], _depth: int) -> bool:
        return self.rng.random() < 0.5


def composed(schema: dict[str, Any]) -> bool:
    """Whether the schema has a `oneOf`/`anyOf`, itself or in a part of its `allOf`."""
    return composition(schema) is not None or any(
        isinstance(part, dict) and composed(part) for part in schema.get("allOf") or []
    )


def _formatted(rng: random.Random, fmt: str | None) -> str | None:
    """A value of a string format, or None for a format without a rule here."""
    moment = _EPOCH + timedelta(seconds=rng.randrange(365 * 86_400))
    return {
        "uuid": lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "date-time": lambda: moment.isoformat().replace("+00:00", "Z"),
        "date": lambda: moment.date().isoformat(),
        "email": lambda: f"{rng.choice(WORDS)}@example.com",
        "uri": lambda: f"https://example.com/{rng.choice(WORDS)}",
        "url": lambda: f"https://example.com/{rng.choice(WORDS)}",
        "hostname": lambda: f"{rng.choice(WORDS)}.example.com",
        "ipv4": lambda: ".".join(str(rng.randrange(1, 255)) for _ in range(4)),
        "ipv6": lambda: ":".join(f"{rng.randrange(65536):x}" for _ in range(8)),
        "byte": lambda: base64.b64encode(rng.choice(WORDS).encode()).decode(),
        "binary": lambda: "",
    }.get(fmt or "", lambda: None)()


def _bounds(schema: dict[str, Any], low: float, high: float, *, step: float) -> tuple[Any, Any]:
    """OpenAPI 3.0's ranges: `exclusiveMinimum`/`exclusiveMaximum` are booleans beside them."""
    if "minimum" in schema:
        low = schema["minimum"] + (step if schema.get("exclusiveMinimum") else 0)
    if "maximum" in schema:
        high = schema["maximum"] - (step if schema.get("exclusiveMaximum") else 0)
    if step == 1:
        return math.ceil(low), math.floor(high)
    return low, high


_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                       "boolean": (bool,), "array": (list,), "object": (dict,)}


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """Whether `value` is of the schema's `type` (null only where `nullable`; a bool is no number)."""
    if value is None:
        return bool(schema.get("nullable"))
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in _TYPES:
        return True
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _TYPES[kind]) and not (kind == "integer" and isinstance(value, float) and not value.is_integer())


def _matches(pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern` as the validator reads it (a search); a pattern Python cannot read matches nothing."""
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _implied_type(schema: dict[str, Any]) -> str:
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
        return "number"
    return "string"
