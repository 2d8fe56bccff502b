"""Bodies generated from an OpenAPI 3.0 schema or a JSON Schema 2020-12 one (OpenAPI 3.1, 3.2), for
the mock: the same seed gives the same body.

The schema is first flattened (`schemas.flatten`), `writeOnly` fields left out of answers. Then
every shape gets a value within its rules: enums, formats, patterns (through `rstr`), lengths,
ranges and `multipleOf`, item counts and `uniqueItems`, `additionalProperties`; a recursive schema stops adding optional fields at `MAX_DEPTH`. A string
the schema leaves free looks like its field's name (`email`, `name`, `phone`, `url`,
`created_at`, ...) where that value fits its lengths. A `oneOf`/`anyOf`
gets a value its validator takes (`schemas.answers`): branches tried in turn. The caller validates
the whole body (`mock.mocker`), and draws again from another seed where it does not fit.
Numbers come from `schemas.ranges`, 2020-12's own keywords are read by `schemas.keywords2020`.
"""

from __future__ import annotations

import base64
import random
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import rstr

from kataven_hub.schemas import keywords2020 as kw
from kataven_hub.schemas import ranges
from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.branches import composition
from kataven_hub.schemas.dialect import FORMATS
from kataven_hub.schemas.fieldnames import WORDS, named
from kataven_hub.schemas.flatten import IMPOSSIBLE, _merge, flatten, flatten_branch

MAX_DEPTH = 4
"""Objects below this depth get only their required fields, arrays only their minimum of items."""
_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


def generate(schema: dict[str, Any], seed: int | str = 0, *, examples: bool = True) -> Any:
    """A value for `schema` (as an answer: `writeOnly` fields left out), drawn from `seed`; the
    `example` a schema gives is taken as it is, and the first of its `examples` that validates,
    unless `examples` is false."""
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
        if self.examples and "examples" in schema:
            found, example = kw.first_example(schema, lambda value: answer_errors(schema, value) is None)
            if found:
                return example
        if "const" in schema:
            return schema["const"]
        allowed = [v for v in schema.get("enum") or [] if kw.fits(v, schema)]
        if allowed:
            return self.rng.choice(allowed)
        kind = kw.chosen_kind(self.rng, schema) or _implied_type(schema)
        if kind == "string" and name and not {"format", "pattern", "contentEncoding", "contentMediaType"} & schema.keys():
            text = named(self.rng, name, _formatted)
            if text is not None and schema.get("minLength", 0) <= len(text) <= schema.get("maxLength", len(text)):
                return text
        return getattr(self, f"_{kind}", self._string)(schema, depth)

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        present = set(schema.get("properties", {})) if depth < MAX_DEPTH else set()
        schema = kw.dependents(schema, present, flatten, _merge)
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        found: dict[str, Any] = {}
        for name, sub in properties.items():
            if sub is False or (isinstance(sub, dict) and sub.get("writeOnly")):  # writeOnly: required in requests only (OpenAPI 3.0)
                continue
            if name not in required and (flatten(sub).get(IMPOSSIBLE) or not self._named(schema, name)):
                continue
            if name in required or depth < MAX_DEPTH:
                found[name] = self.value(sub if isinstance(sub, dict) else {}, depth + 1, name)
        extra = _extra(schema, properties)
        for name in [n for n in dict.fromkeys(schema.get("required", [])) if n not in properties]:  # required by a part of a composition that names no schema for it
            found[name] = self.value(extra if isinstance(extra, dict) else {}, depth + 1, name)
        wanted = max(schema.get("minProperties", 0), 0 if properties else 1)
        for attempt in range(20 * wanted):
            if extra is False or len(found) >= wanted:
                break
            key = self._key(schema, len(found), attempt)
            if key not in found:
                found[key] = self.value(extra if isinstance(extra, dict) else {"type": "string"}, depth + 1)
        return found

    def _named(self, schema: dict[str, Any], name: str) -> bool:
        """Whether `name` is one `propertyNames` allows."""
        names = schema.get("propertyNames", True)
        return names is not False and (not isinstance(names, dict) or answer_errors(names, name) is None)

    def _key(self, schema: dict[str, Any], count: int, attempt: int) -> str:
        """The name of an additional property: a word and a number, or one drawn from `propertyNames`."""
        names = schema.get("propertyNames")
        if isinstance(names, dict) and names:
            key = self.value({"type": "string", **names}, MAX_DEPTH)
            return key if isinstance(key, str) else f"{key}"
        return f"{WORDS[count % len(WORDS)]}{count + attempt}"

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        count = kw.item_count(schema, depth >= MAX_DEPTH)
        found: list[Any] = []
        for item_schema in kw.item_schemas(schema, count):
            for _attempt in range(20):
                item = self.value(item_schema if isinstance(item_schema, dict) else {}, depth + 1)
                if not schema.get("uniqueItems") or item not in found:
                    break
            found.append(item)
        return found

    def _string(self, schema: dict[str, Any], _depth: int) -> str:
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        text = _formatted(self.rng, schema.get("format")) or kw.content(self.rng, schema, WORDS)
        if "pattern" in schema and (text is None or not _matches(schema["pattern"], text)):
            text = self._patterned(schema["pattern"], low, high)
            if schema.get("format") == "uri" and not FORMATS.conforms(text, "uri") and not schema["pattern"].startswith("^"):
                text = f"urn:{text}"  # a URI still matching the unanchored pattern (`/magnet:\?xt=…/i`)
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
        return ranges.integer(self.rng, schema)

    def _number(self, schema: dict[str, Any], _depth: int) -> float | int:
        return ranges.number(self.rng, schema)

    def _boolean(self, _schema: dict[str, Any], _depth: int) -> bool:
        return self.rng.random() < 0.5

    def _null(self, _schema: dict[str, Any], _depth: int) -> None:
        return None


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


def _matches(pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern` as the validator reads it (a search); a pattern Python cannot read matches nothing."""
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _extra(schema: dict[str, Any], properties: dict[str, Any]) -> Any:
    """The schema of properties beyond `properties` (False where none may be, or none is named beside
    `properties`: tests/test_remembered.py's CROWDED stays a schema the generator does not satisfy):
    `additionalProperties`, else `unevaluatedProperties` (every part of a composition merged already)."""
    extra = schema.get("additionalProperties", schema.get("unevaluatedProperties", not properties))
    return False if schema.get("unevaluatedProperties") is False else extra


_OBJECT = ("properties", "additionalProperties", "unevaluatedProperties", "propertyNames", "dependentRequired", "dependentSchemas")
_ARRAY = ("items", "prefixItems", "contains")
_NUMBER = ("minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum")


def _implied_type(schema: dict[str, Any]) -> str:
    if any(k in schema for k in _OBJECT):
        return "object"
    if any(k in schema for k in _ARRAY):
        return "array"
    if any(k in schema for k in _NUMBER):
        return "number"
    return "string"
