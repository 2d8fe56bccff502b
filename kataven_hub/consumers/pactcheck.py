"""A pact's interactions checked against the document: the request valid for one operation (its
method and path, its required parameters, each value of its parameter's type, its body valid against
the request schema) and the expected answer valid against the response documented for its status.
Where a matcher frees a field from its example, only the example's type is held to the schema."""

from __future__ import annotations

import collections
import json
from typing import Any

from jsonschema import ValidationError

from kataven_hub.consumers.check import Break, raw_fits, shown
from kataven_hub.consumers.contract import REDACTED, ROOT, fields, join, segments
from kataven_hub.consumers.files import consumer_name
from kataven_hub.consumers.interactions import Routed, base_paths, name, route, sent
from kataven_hub.consumers.pacts import Interaction, Pact, Part, relaxed
from kataven_hub.consumers.record import CREDENTIAL_HEADERS, credentials, documented_status, is_secret, redacted
from kataven_hub.consumers.schemapaths import locate
from kataven_hub.openapi import Operation
from kataven_hub.schemas.dialect import FORMATS, AnswerValidator, RequestValidator

_BY_VALUE = frozenset({
    "enum", "const", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "contains",
})  # fmt: skip
"""What a schema says of a value beyond its type: not held to a field a matcher frees."""
_SUBSET = frozenset({"required", "minItems", "minProperties", "dependentRequired", "dependencies"})
"""What an expected answer may leave out: a pact names the fields its consumer reads, not all."""
_COVERED = frozenset({"additionalProperties", "unevaluatedProperties"})
"""Said of each field by name already (`... field x is not documented`)."""
_SHOWN_ERRORS = 3


def check_pact(pact: Pact, document: dict[str, Any], operations: list[Operation]) -> list[Break]:
    """Every way an interaction of the pact does not hold against the document, in the pact's order."""
    bases, hidden = base_paths(document), credentials(document)
    found: list[Break] = []
    consumer = consumer_name(pact.consumer)  # as its contract's file names it
    for interaction in pact.interactions:
        routed = route(operations, bases, interaction.method, interaction.path)
        where = f'{name(interaction, routed)} ("{interaction.description}")'
        if routed is None:
            what = "no operation of the document has this method and path"
            found.append(Break(consumer, where, what, f"{interaction.method} {interaction.path}"))
            continue
        problems = _parameters(interaction, routed, hidden) + _request(routed[0], interaction.request)
        problems += _answer(routed[0], interaction)
        found += [Break(consumer, where, what, example) for what, example in problems]
    return found


def _parameters(interaction: Interaction, routed: Routed, hidden: frozenset[tuple[str, str]]) -> list[tuple[str, str]]:
    given = {**sent(interaction, routed), "cookie": {}}
    problems = []
    documented = routed[0].definition.get("parameters") or []
    for parameter in documented:
        where, named = str(parameter.get("in", "")), str(parameter.get("name", ""))
        value = given.get(where, {}).get(named.lower() if where == "header" else named)
        if value is None and parameter.get("required") and where != "cookie":
            problems.append((f"required {where} parameter {named} is missing", _call(interaction)))
        elif value is not None and not raw_fits(value, parameter.get("schema") or {}):
            secret = (where, named.lower()) in hidden or named.lower() in CREDENTIAL_HEADERS or is_secret(named, value, [])
            kind = (parameter.get("schema") or {}).get("type", "any")
            problems.append((f"{where} parameter {named} is not of the documented type ({kind})", json.dumps(REDACTED if secret else value)))
    known = {str(p.get("name")) for p in documented if p.get("in") == "query"}
    problems += [(f"query parameter {named} is not documented", f"{named}={value}")
                 for named, value in sorted(given["query"].items()) if named not in known]  # fmt: skip
    return problems


def _request(operation: Operation, part: Part) -> list[tuple[str, str]]:
    documented = operation.definition.get("requestBody")
    if not part.has_body:
        required = isinstance(documented, dict) and documented.get("required")
        return [("the request body the document requires is not sent", "no body")] if required else []
    if not isinstance(documented, dict):
        return [("the request body is not documented", shown(fields(part.body)))]
    return _body("request", documented, part, answer=False)


def _answer(operation: Operation, interaction: Interaction) -> list[tuple[str, str]]:
    part, status = interaction.answer, interaction.status
    documented = documented_status(operation, status)
    if documented is None:
        return [(f"status {status} is not documented", shown(fields(part.body)) if part.has_body else "no body")]
    if not part.has_body:
        return []
    return _body(f"answer {status}", operation.definition["responses"][documented], part, answer=True)


def _body(what: str, documented: dict[str, Any], part: Part, *, answer: bool) -> list[tuple[str, str]]:
    content = documented.get("content") or {}
    if not content:
        return [(f"{what} body is not documented", shown(fields(part.body)))]
    media = part.media or "application/json"
    described = [m.get("schema") for t, m in content.items() if _fits_media(t, media) and isinstance(m, dict)]
    if not described:
        return [(f"{what} body of type {media} is not documented (the document has {', '.join(sorted(content))})", media)]
    schemas: list[dict[str, Any]] = [s for s in described if isinstance(s, dict)]
    if not schemas or part.body is None and not (media == "application/json" or media.endswith("+json")):
        return []  # a body the document does not describe, or one this check cannot read
    used = redacted(fields(part.body), schemas)
    problems = [(f"{what} field {path} is not documented", f"{path} = {json.dumps(value, ensure_ascii=False)}")
                for path, value in sorted(used.items())
                if path != ROOT and not any(locate(schema, segments(path)) for schema in schemas)]  # fmt: skip
    invalid = [_errors(schema, part, answer) for schema in schemas]
    if all(invalid):
        problems += [(f"{what} field {_path(e)} does not hold: {_said(e)}", _shown(e)) for e in invalid[0][:_SHOWN_ERRORS]]
    return problems


def _errors(schema: dict[str, Any], part: Part, answer: bool) -> list[ValidationError]:
    validator = (AnswerValidator if answer else RequestValidator)(schema, format_checker=FORMATS)
    found = [error for error in validator.iter_errors(part.body) if _counts(error, part, answer)]
    return sorted(found, key=lambda error: (_path(error), str(error.validator)))


def _counts(error: ValidationError, part: Part, answer: bool) -> bool:
    """Whether an error stands, given the pact's matchers and what an expected answer may leave out."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[ValidationError]] = collections.defaultdict(list)
        for inner in error.context:
            branches[inner.relative_schema_path[0]].append(inner)
        return all(any(_counts(inner, part, answer) for inner in branch) for branch in branches.values())
    if error.validator == "oneOf":  # valid under several branches: part of an answer may well be
        return not answer
    if error.validator in _COVERED or answer and error.validator in _SUBSET:
        return False
    return not (error.validator in _BY_VALUE and relaxed(part.relaxed, list(error.absolute_path)))


def _fits_media(documented: str, media: str) -> bool:
    kind, _, sub = documented.split(";")[0].strip().lower().partition("/")
    given_kind, _, given_sub = media.partition("/")
    return kind in ("*", given_kind) and sub in ("*", given_sub)


def _path(error: ValidationError) -> str:
    path = ""
    for step in error.absolute_path:
        path = path + "[]" if isinstance(step, int) else join(path, str(step))
    return path or ROOT


def _said(error: ValidationError) -> str:
    message = str(error.message)
    return f"{error.validator}: {message[:117] + '…' if len(message) > 120 else message}"


def _shown(error: ValidationError) -> str:
    """The value that breaks the schema (`price = -1`; an object's first fields): secret values
    redacted, long ones cut."""
    instance, schema = error.instance, error.schema if isinstance(error.schema, dict) else {}
    if isinstance(instance, (dict, list)):
        return shown(redacted(fields(instance), [schema])) or json.dumps(instance)
    steps = [step for step in error.absolute_path if isinstance(step, str)]
    text = json.dumps(REDACTED if is_secret(steps[-1] if steps else "", instance, [schema]) else instance, ensure_ascii=False)
    return f"{_path(error)} = {text if len(text) <= 80 else text[:79] + '…'}"


def _call(interaction: Interaction) -> str:
    query = "&".join(f"{k}={v}" for k, vs in interaction.query.items() for v in vs)
    return f"{interaction.method} {interaction.path}" + (f"?{query}" if query else "")
