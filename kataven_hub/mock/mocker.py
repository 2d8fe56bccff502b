"""Serving from the spec: an operation's documented response, with its example or a body generated
from its schema. It answers operations that have no handler, and in dev mode any request that
asks with `Prefer: code=NNN` / `example=NAME` (Stoplight Prism's header, read by
`kataven_hub.web.prefer`)."""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

from starlette.responses import Response

from kataven_hub.errors import InvalidInput
from kataven_hub.mock.render import render
from kataven_hub.openapi import Operation
from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.satisfy import Unsatisfied, satisfying, short

MOCK_HEADER = "X-Hub-Mock"
"""On every answer made from the spec: `example` (written in the spec), `generated` (from its
schema) or `stored` (remembered, or filled from the resource it is under: `mock.parents`)."""
BODIES_KEPT = 1024
"""Answers kept by (operation, status, example, request): the same request is answered again
without generating and validating its body anew (the same body: it is drawn from the request)."""
log = logging.getLogger(__name__)


class Mocker:
    """Answers of the operations of one document, by operationId."""

    def __init__(self, operations: list[Operation], seed: int = 0) -> None:
        self._operations = {op.operation_id: op for op in operations}
        self.seed = seed
        self._bodies: collections.OrderedDict[tuple[str, int, str | None, str], tuple[Any, str] | MockFailure] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()  # a scaffolded stub asks from a worker thread (`Hub.mock`)

    def answer(
        self, operation_id: str, *, code: int | None = None, example: str | None = None, request: str = ""
    ) -> Response:
        """The documented `code` response (by default the lowest 2xx), with the example named
        `example` (by default the first), else the one example, else a body generated from the
        seed, the operation and `request` (its path and query): the same for the same request."""
        return self.draft(operation_id, code=code, example=example, request=request).response()

    def draft(
        self, operation_id: str, *, code: int | None = None, example: str | None = None, request: str = ""
    ) -> Draft:
        """What `answer` sends, before it is sent."""
        operation = self._operations[operation_id]
        status = self._status(operation, code)
        responses = operation.definition["responses"]
        response = responses.get(str(status)) or responses.get(f"{status // 100}XX") or responses.get("default", {})
        content = response.get("content") or {}
        if status == 204 or not content:
            return Draft(status, None, None, "example", None)
        media_type = "application/json" if "application/json" in content else next(iter(content))
        media = content[media_type]
        body, kind = self._kept(operation, (status, media_type, media), example, request)
        return Draft(status, _sent_as(media_type), body, kind, media.get("schema"))

    def _kept(
        self, operation: Operation, answer: tuple[int, str, dict[str, Any]], example: str | None, request: str
    ) -> tuple[Any, str]:
        """The body and its kind for the (status, media type, media object) answered, drawn once
        for the same request (a failure too: it fails at once the next time). Kept bodies are
        shared: read only."""
        status, media_type, media = answer
        key = (operation.operation_id, status, example, request)
        kept = self._bodies.get(key)
        if kept is None:
            try:
                where = _pointer(operation, status, media_type)
                kept = _body(operation, status, media, example, f"{self.seed}:{request}", where)
            except MockFailure as failure:
                kept = failure
        with self._lock:
            self._bodies[key] = kept
            self._bodies.move_to_end(key)
            if len(self._bodies) > BODIES_KEPT:
                self._bodies.popitem(last=False)
        if isinstance(kept, MockFailure):
            raise MockFailure(*kept.args)  # a new one: raising the kept one again would grow its traceback
        return kept

    def unsatisfiable(self, stop: threading.Event | None = None) -> Iterator[str]:
        """What the mock cannot answer: each operation whose default answer has no example and
        a schema no generated body satisfies, in one line each, as found; `stop` ends the walk."""
        for operation_id in self._operations:
            if stop is not None and stop.is_set():
                return
            try:
                self.answer(operation_id)
            except MockFailure as failure:
                yield str(failure)

    def knows(self, operation_id: str) -> bool:
        return operation_id in self._operations

    def documents(self, operation_id: str, code: int) -> bool:
        return str(code) in self._operations[operation_id].definition["responses"]

    def covers(self, operation_id: str, code: int) -> bool:
        """Whether the operation documents `code`: itself, its range (`4XX`) or `default`."""
        responses = self._operations[operation_id].definition["responses"]
        return any(c in responses for c in (str(code), f"{code // 100}XX", f"{code // 100}xx", "default"))

    def _status(self, operation: Operation, code: int | None) -> int:
        documented = sorted(operation.definition["responses"])
        codes = [int(c) for c in documented if c.isdigit()] + [int(c[0]) * 100 for c in documented if _range(c)]
        if code is None:
            successes = [c for c in codes if 200 <= c < 300]
            return min(successes or codes or [200])
        if code not in codes and not (200 <= code < 600 and ("default" in documented or f"{code // 100}XX" in documented)):
            raise InvalidInput(
                f"Prefer: code={code} is not documented for {operation.operation_id};"
                f" documented: {', '.join(documented)}"
            )
        return code


def _range(code: str) -> bool:
    """`2XX` (any 2xx: its lowest, 200, where a status is chosen for it)."""
    return len(code) == 3 and code[0] in "12345" and code[1:].upper() == "XX"


def _body(
    operation: Operation, status: int, media: dict[str, Any], name: str | None, key: str, where: str
) -> tuple[Any, str]:
    """The named example, else the first documented example that validates (a JSON text in a
    string served parsed, where that validates), else a body generated from the schema."""
    examples = media.get("examples") or {}
    schema = media.get("schema") or {}
    checked = schema if "json" in where.rsplit("/", 2)[1] else {}  # only a JSON answer is validated
    if name is not None:
        return _named(operation, status, examples, name, checked), "example"
    written = [e["value"] for e in examples.values() if isinstance(e, dict) and "value" in e]
    written += [found["example"] for found in (media, schema) if "example" in found]
    for example in written:
        valid = _valid_example(checked, example)
        if valid is not _INVALID:
            return valid, "example"
    try:  # drawn from the seed, the request, the operation and the status: the same for the same request
        return satisfying(schema, f"{key}:{operation.operation_id}:{status}"), "generated"
    except Unsatisfied as unsatisfied:
        raise MockFailure(
            f"{operation.operation_id}: no body validates for its {status} answer, at"
            f" {unsatisfied.pointer(where)}: {unsatisfied}"
        ) from None


_INVALID = object()
"""What `_valid_example` finds of an example that does not validate."""


def _valid_example(schema: dict[str, Any], example: Any) -> Any:
    """The example as served: itself where it validates, else the JSON text it holds where that
    validates (an example written as a string of JSON), else `_INVALID`."""
    if answer_errors(schema, example) is None:
        return example
    if isinstance(example, str):
        try:
            parsed = json.loads(example)
        except ValueError:
            return _INVALID
        if answer_errors(schema, parsed) is None:
            return parsed
    return _INVALID


def _named(operation: Operation, status: int, examples: dict[str, Any], name: str, schema: dict[str, Any]) -> Any:
    """`Prefer: example=NAME`: that example where it validates (or the JSON text it holds does);
    one that does not is refused, naming why: the server never answers what its document forbids."""
    if name not in examples:
        known = ", ".join(examples) or "none"
        raise InvalidInput(
            f"Prefer: example={name} is not an example of the {status} response of"
            f" {operation.operation_id}; its examples: {known}"
        )
    example = examples[name].get("value") if isinstance(examples[name], dict) else None
    valid = _valid_example(schema, example)
    if valid is _INVALID:
        error = answer_errors(schema, example)
        raise InvalidInput(
            f"Prefer: example={name} of the {status} response of {operation.operation_id} does not validate"
            f" against its schema: {short(error.message) if error else 'invalid'}"
        )
    return valid


def _pointer(operation: Operation, status: int, media_type: str) -> str:
    """The JSON pointer of the schema of an answer, in the document."""
    responses = operation.definition["responses"]
    code = next((c for c in (str(status), f"{status // 100}XX", f"{status // 100}xx") if c in responses), "default")
    steps = ["paths", operation.path, operation.method, "responses", code, "content", media_type, "schema"]
    return "#/" + "/".join(step.replace("~", "~0").replace("/", "~1") for step in steps)


_RANGES = {"*/*": "application/json", "application/*": "application/json", "text/*": "text/plain"}
"""The media type an answer documented under a media range is sent as: a range is no Content-Type."""


def _sent_as(media_type: str) -> str:
    return _RANGES.get(media_type.split(";")[0].strip().lower(), media_type)


@dataclasses.dataclass
class Draft:
    """A mock's answer: its status, media type and body (None without content), whether the body is
    an `example` or `generated` (or `stored`, once filled from stored data), and its schema."""

    status: int
    media_type: str | None
    body: Any
    kind: str
    schema: dict[str, Any] | None

    def response(self) -> Response:
        headers = {MOCK_HEADER: self.kind}
        if self.media_type is None:
            return Response(status_code=self.status, headers=headers)
        text = render(self.body, self.media_type, self.schema)
        return Response(text, status_code=self.status, media_type=self.media_type, headers=headers)


class MockFailure(Exception):
    """The spec gives no example, and no generated body validates against the schema."""


def preferences(values: list[str]) -> dict[str, str]:
    """`Prefer` header values as {name: value}: `code=404, example="x"; p=1` -> code, example."""
    found: dict[str, str] = {}
    for value in values:
        for preference in value.split(","):
            name, _, setting = preference.split(";")[0].partition("=")
            if name.strip():
                found.setdefault(name.strip().lower(), setting.strip().strip('"'))
    return found
