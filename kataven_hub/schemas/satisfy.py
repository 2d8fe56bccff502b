"""Bodies that validate as answers: one generated (each try from the next seed), else an example the
schema or one of its branches documents; and a body completed until it validates (a remembered
resource: missing fields generated, fields that break the schema replaced or dropped)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import ValidationError

from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.generate import generate

TRIES = 20
SHORT = 200
"""The longest message a log line or an error quotes from a validator (which quotes whole schemas)."""


class Unsatisfied(Exception):
    """No generated body and no documented example validates; `error` is the last validator's."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(short(error.message))
        self.error = error

    def pointer(self, base: str) -> str:
        """The JSON pointer of the schema location that refused, below `base` (the schema's own)."""
        steps = [str(step).replace("~", "~0").replace("/", "~1") for step in self.error.absolute_schema_path]
        return "/".join([base, *steps])


def satisfying(schema: dict[str, Any], seed: str) -> Any:
    """A body that validates against `schema`, the same for the same seed; Unsatisfied if none."""
    error = None
    for attempt in range(TRIES):
        body = generate(schema, seed=f"{seed}:{attempt}", examples=attempt == 0)
        error = answer_errors(schema, body)
        if error is None:
            return body
    for example in _examples(schema):
        if answer_errors(schema, example) is None:
            return example
    assert error is not None
    raise Unsatisfied(error)


def _examples(schema: Any) -> Iterator[Any]:
    """The examples a schema documents (`example`, each of 2020-12's `examples`), its own, then
    those of its compositions' parts."""
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield schema["example"]
    if isinstance(schema.get("examples"), list):
        yield from schema["examples"]
    for key in ("oneOf", "anyOf", "allOf"):
        for part in schema.get(key) or []:
            yield from _examples(part)


def completed(schema: dict[str, Any], body: Any, seed: str) -> Any:
    """`body` if it validates, else a generated body with each of its fields taken where the
    answer still validates with it (`body` itself, where nothing validates)."""
    if answer_errors(schema, body) is None:
        return body
    try:
        base = satisfying(schema, seed)
    except Unsatisfied:
        return body
    if not isinstance(base, dict) or not isinstance(body, dict):
        return base
    for name, value in body.items():
        trial = {**base, name: value}
        if answer_errors(schema, trial) is None:
            base = trial
    return base


def short(text: str, limit: int = SHORT) -> str:
    """`text` in one line of at most `limit` characters: a log line never quotes a whole schema."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
