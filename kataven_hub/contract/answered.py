"""A replayed answer checked twice: against the document (its status documented, its body valid
for that status's schema) and against what the consumer received (for the recorded status, every
field path it got still there, of the same JSON type as its example)."""

from __future__ import annotations

import json
from typing import Any

from kataven_hub.consumers.contract import segments
from kataven_hub.consumers.record import documented_status
from kataven_hub.consumers.unflatten import json_type, reach
from kataven_hub.openapi import Operation
from kataven_hub.schemas.answers import answer_errors

NO_BODY: Any = object()
"""An answer with no JSON body (empty, another media type, or not JSON)."""
SHOWN = 60
"""The characters of a value a line shows."""


def against_document(operation: Operation, status: int, media: str, body: Any) -> list[str]:
    """What breaks the document: an undocumented status, a JSON body its schema refuses."""
    documented = documented_status(operation, status)
    if documented is None:
        return [f"status {status} is not documented"]
    content = (operation.definition["responses"][documented] or {}).get("content") or {}
    schema = _schema(content, media)
    if not isinstance(schema, dict) or not json_media(media):
        return []
    if body is NO_BODY:
        return [f"the {status} body is not JSON, as the document says it is ({media})"]
    error = answer_errors(schema, body)
    if error is None:
        return []
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".") or "the body"
    return [f"the {status} body is not valid for the document: {where}: {error.message[:200]}"]


def against_consumer(answers: dict[str, dict[str, Any]], status: int, body: Any) -> tuple[list[str], list[str]]:
    """What the consumer no longer gets (each field named, with the type expected and what came),
    and notes: the fields not seen only because an array is empty. A status the consumer never
    received is a problem of its own (it handled the one recorded; with none recorded there is
    nothing to check); a field recorded `null` need only be there (its type was never seen)."""
    if not answers:
        return [], []
    if str(status) not in answers:
        received = ", ".join(sorted(answers)) or "no status"
        return [f"answered {status}, the consumer received {received} (its fields not checked)"], []
    problems: list[str] = []
    empties: dict[str, list[str]] = {}
    for path, example in sorted(answers[str(status)].items()):
        wanted = json_type(example)
        values, empty = reach(body, segments(path)) if body is not NO_BODY else ([], None)
        if empty is not None:
            empties.setdefault(empty, []).append(path)
        elif not values:
            problems.append(f"{status} field {path}: expected {wanted}, got nothing (missing)")
        elif example is not None and all(json_type(value) != wanted for value in values):
            problems.append(f"{status} field {path}: expected {wanted}, got {json_type(values[0])} ({_shown(values[0])})")
    notes = [f"{array} is empty, so {', '.join(paths[:3])}{' …' if len(paths) > 3 else ''} not seen"
             for array, paths in sorted(empties.items())]  # fmt: skip
    return problems, notes


def json_media(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _schema(content: dict[str, Any], media: str) -> Any:
    """The documented schema of the answer's media type, else of the first JSON one."""
    documented = content.get(media) or next((v for k, v in content.items() if json_media(k)), None)
    return documented.get("schema") if isinstance(documented, dict) else None


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
