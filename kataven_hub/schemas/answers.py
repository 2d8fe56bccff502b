"""Answers checked against the schema the document gives them: the mock's bodies, remembered
resources, the errors the server makes itself (and, through `openapi.validation`, every answer in dev
mode). Built validators are kept by schema; `answer_errors_once` remembers the answers found valid."""

from __future__ import annotations

import collections
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from kataven_hub.schemas.dialect import FORMATS, AnswerValidator

_ANSWER_VALIDATORS: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}
"""Built validators by schema (the document's schemas live as long as the server): a mock answers
without building one each time."""


def answer_errors(schema: dict[str, Any], body: Any) -> ValidationError | None:
    """The most relevant way `body` breaks `schema` as an answer, or None."""
    kept = _ANSWER_VALIDATORS.get(id(schema))
    if kept is None or kept[0] is not schema:  # a schema built for one check, gone since: another id
        if len(_ANSWER_VALIDATORS) > 4096:
            _ANSWER_VALIDATORS.clear()
        kept = _ANSWER_VALIDATORS[id(schema)] = (schema, AnswerValidator(schema, format_checker=FORMATS))
    return best_match(kept[1].iter_errors(body))


_VALID_ANSWERS: collections.OrderedDict[tuple[int, str], dict[str, Any]] = collections.OrderedDict()
VALID_ANSWERS_KEPT = 10_000


def known_valid(schema: dict[str, Any], text: str) -> bool:
    """Whether the answer `text` was found valid against `schema` before (`answer_errors_once`)."""
    return _VALID_ANSWERS.get((id(schema), text)) is schema


def answer_errors_once(schema: dict[str, Any], body: Any, text: str) -> ValidationError | None:
    """`answer_errors`, remembering the bodies found valid by their JSON `text` (the last
    VALID_ANSWERS_KEPT): a resource read again and again is checked once, not on every read (a
    check costs about as much as the rest of a remembered read)."""
    key = (id(schema), text)
    if _VALID_ANSWERS.get(key) is schema:
        _VALID_ANSWERS.move_to_end(key)
        return None
    error = answer_errors(schema, body)
    if error is None:
        _VALID_ANSWERS[key] = schema
        if len(_VALID_ANSWERS) > VALID_ANSWERS_KEPT:
            _VALID_ANSWERS.popitem(last=False)
    return error
