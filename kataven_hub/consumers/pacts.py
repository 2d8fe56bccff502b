"""Pact files (specification 2, 3 and 4) read into the HTTP interactions they hold: the request a
consumer makes and the answer it expects, with the body paths a matcher or a generator frees from
their example value (checked by type, not by value). Message interactions are counted, not read."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

ANY_KEY = "*"
"""A rule path segment that stands for any key of an object (`$.*`)."""
PACT_SUFFIX = ".pact.json"
_RULE_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[\*\]|\[\d+\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
_BY_VALUE = frozenset({"equality"})
"""Matchers that hold the field to its example; every other one (`type`, `regex`, `integer`, an
`eachLike`'s `type` with `min`...) lets any value of the example's kind through."""
_SAMPLES: dict[str, Any] = {
    "Uuid": "00000000-0000-4000-8000-000000000000", "RandomInt": 1, "RandomDecimal": 1.5, "RandomHexadecimal": "0a",
    "RandomString": "string", "RandomBoolean": True, "Date": "2000-01-01", "Time": "00:00:00",
    "DateTime": "2000-01-01T00:00:00Z", "Regex": "string",
}  # fmt: skip
"""What a generated field with no example (`null` in the file) is taken to be."""

Rule = tuple[str, ...]
"""A body path of a matcher or generator: `$.items[*].id` -> `("items", "[]", "id")`."""


@dataclasses.dataclass(frozen=True)
class Part:
    """A request or an answer as the pact gives it."""

    headers: dict[str, str]
    """Lower-case names; several values joined with `, `."""
    body: Any = None
    has_body: bool = False
    media: str = ""
    relaxed: frozenset[Rule] = frozenset()
    """The body paths checked by type (a matcher other than equality, or a generator), and all under them."""


@dataclasses.dataclass(frozen=True)
class Interaction:
    description: str
    method: str
    path: str
    query: dict[str, list[str]]
    request: Part
    status: int
    answer: Part


@dataclasses.dataclass(frozen=True)
class Pact:
    consumer: str
    interactions: list[Interaction]
    skipped: int
    """Interactions that are not HTTP (v4 messages): nothing of them is checked."""


def is_pact(path: Path) -> bool:
    """Whether a file of a folder is a pact: `*.pact.json`, or JSON with `interactions` and a
    `metadata.pactSpecification` (what pact-js and pact-python write as `<consumer>-<provider>.json`)."""
    if path.name.endswith(PACT_SUFFIX):
        return True
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        return False
    return isinstance(data.get("metadata"), dict) and _spec_key(data["metadata"]) is not None


def read_pact(path: Path) -> Pact:
    """The pact in a file; ValueError, in a line naming the file, if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: cannot read it ({type(err).__name__})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not JSON ({err.msg}, line {err.lineno})") from None
    consumer = data.get("consumer") if isinstance(data, dict) else None
    if not (isinstance(consumer, dict) and isinstance(consumer.get("name"), str) and isinstance(data.get("interactions"), list)):
        raise ValueError(f"{path}: not a pact (an object with `consumer.name` and `interactions`)")
    version = _major(data.get("metadata"))
    found, skipped = [], 0
    for number, item in enumerate(data["interactions"]):
        if not isinstance(item, dict) or item.get("type", "Synchronous/HTTP") != "Synchronous/HTTP":
            skipped += 1
            continue
        try:
            found.append(_interaction(item, version))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(f"{path}: interaction {number + 1} is not an HTTP interaction ({type(err).__name__}: {str(err)[:80]})") from None
    return Pact(consumer["name"], found, skipped)


def _spec_key(metadata: dict[str, Any]) -> str | None:
    return next((k for k in ("pactSpecification", "pact-specification", "pactSpecificationVersion") if k in metadata), None)


def _major(metadata: Any) -> int:
    """The pact specification's major version (2 where the file does not say)."""
    key = _spec_key(metadata) if isinstance(metadata, dict) else None
    given = metadata[key] if key else "2"
    text = str(given.get("version", "2") if isinstance(given, dict) else given)
    return int(text[0]) if text[:1].isdigit() else 2


def _interaction(item: dict[str, Any], version: int) -> Interaction:
    request, response = item["request"], item["response"]
    query = request.get("query") or {}
    if isinstance(query, str):  # specification 2: the query string as sent
        query = parse_qs(query, keep_blank_values=True)
    values = {str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])] for k, vs in query.items()}
    return Interaction(
        description=str(item.get("description", "")), method=str(request["method"]).upper(), path=str(request["path"]),
        query=values, request=_part(request, version), status=int(response.get("status", 200)), answer=_part(response, version),
    )  # fmt: skip


def _part(given: dict[str, Any], version: int) -> Part:
    headers = {str(k).lower(): ", ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in (given.get("headers") or {}).items()}
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if "body" not in given:
        return Part(headers, media=media)
    body = given["body"]
    if version >= 4 and isinstance(body, dict) and "content" in body:
        media = str(body.get("contentType") or media).split(";")[0].strip().lower()
        body = None if body.get("encoded") not in (False, None, "json") else body["content"]
    if isinstance(body, str) and (media == "application/json" or media.endswith("+json")):
        try:
            body = json.loads(body)
        except ValueError:
            pass
    rules = _body_rules(given.get("matchingRules") or {}, version)
    generated = {_rule(path): spec for path, spec in ((given.get("generators") or {}).get("body") or {}).items()}
    for rule, spec in generated.items():
        body = _filled(body, list(rule), spec.get("type") if isinstance(spec, dict) else None)
    return Part(headers, body, True, media, frozenset({*rules, *generated}))


def _body_rules(rules: dict[str, Any], version: int) -> set[Rule]:
    """The body paths whose matchers let other values than the example through."""
    if version < 3:  # `"$.body.items[*].id": {"match": "type"}`
        flat = {path[len("$.body"):]: [matcher] for path, matcher in rules.items() if path.startswith("$.body")}
    else:  # `"body": {"$.items[*].id": {"matchers": [...]}}`
        flat = {path[1:]: (spec or {}).get("matchers") or [] for path, spec in (rules.get("body") or {}).items()}
    return {_rule("$" + path) for path, matchers in flat.items() if any(_loose(m) for m in matchers)}


def _loose(matcher: Any) -> bool:
    return isinstance(matcher, dict) and str(matcher.get("match", "regex" if "regex" in matcher else "equality")) not in _BY_VALUE


def _rule(path: str) -> Rule:
    """`$.items[*].id` -> `("items", "[]", "id")`; `$['a b']` -> `("a b",)`; `$.*` -> `("*",)`."""
    found: list[str] = []
    for match in _RULE_SEGMENT.finditer(path[1:] if path.startswith("$") else path):
        name = match.group(1) or match.group(2) or match.group(3)
        found.append(name if name is not None else "[]")
    return tuple(found)


def relaxed(rules: frozenset[Rule], where: list[str | int]) -> bool:
    """Whether a body path (`["items", 0, "id"]`) is at or under one of the rules."""
    path = ["[]" if isinstance(step, int) else step for step in where]
    return any(len(rule) <= len(path) and all(r in (p, ANY_KEY) and not (r == ANY_KEY and p == "[]") for r, p in zip(rule, path))
               for rule in rules)  # fmt: skip


def _filled(body: Any, path: list[str], kind: Any) -> Any:
    """The body with a generated field that has no example (null) given a sample of its kind."""
    if not path:
        return _SAMPLES.get(str(kind), body) if body is None else body
    step, rest = path[0], path[1:]
    if step == "[]" and isinstance(body, list):
        return [_filled(item, rest, kind) for item in body]
    if isinstance(body, dict) and step in body:
        return {**body, step: _filled(body[step], rest, kind)}
    if isinstance(body, dict) and step == ANY_KEY:
        return {key: _filled(value, rest, kind) for key, value in body.items()}
    return body
