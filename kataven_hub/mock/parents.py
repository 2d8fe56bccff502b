"""Mocks under a resource that knows its data. An operation the mock serves whose path lies below
the item path of a read that knows its data (served by a handler, or remembered), as
`GET /api/v1/campaigns/{id}/summary` lies below `GET /api/v1/campaigns/{id}`, first asks that read
for its parent, with the request's credentials (`web.mockanswers`): an answer other than a success
is the mock's answer too (the parent's 404); a success fills the mock's body with the parent's
same-named fields, each kept where the body still validates. A scaffolded stub answers the same
(`Hub.mock`). Found from the document's paths alone: nothing here knows what a campaign is."""

from __future__ import annotations

import dataclasses
from typing import Any

from kataven_hub.mock.mocker import Draft
from kataven_hub.openapi import Operation
from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.flatten import flatten


@dataclasses.dataclass(frozen=True)
class Parent:
    read: Operation
    """The read that answers the parent resource."""
    segments: int
    """How many leading segments of a request's path name the parent."""

    def path(self, request_path: str) -> str:
        return "/" + "/".join(request_path.strip("/").split("/")[: self.segments])


def parents(mocked: list[Operation], knowing: list[Operation]) -> dict[str, Parent]:
    """The parent read of each of the `mocked` operations whose path lies below the item path of
    a `GET` among the operations `knowing` their data: the nearest one, by operationId."""
    reads = {_shape(op.path): op for op in knowing if op.method == "get"}
    found = {}
    for operation in mocked:
        segments = operation.path.strip("/").split("/")
        for count in range(len(segments) - 1, 0, -1):
            read = reads.get(_shape("/".join(segments[:count]))) if _is_param(segments[count - 1]) else None
            if read is not None:
                found[operation.operation_id] = Parent(read, count)
                break
    return found


def fill(draft: Draft, parent: Any) -> Draft:
    """A mock's success answer with the parent's same-named fields (`filled`), marked `stored`
    when any was taken; anything else as it was."""
    if parent is not None and draft.status < 300:
        draft.body, taken = filled(draft.schema, draft.body, parent)
        draft.kind = "stored" if taken else draft.kind
    return draft


def filled(schema: dict[str, Any] | None, body: Any, parent: Any) -> tuple[Any, list[str]]:
    """`body` with each field of `parent` its schema also names, where the body still validates
    with it; and the names of the fields filled."""
    if not isinstance(body, dict) or not isinstance(parent, dict) or schema is None:
        return body, []
    names = [name for name in flatten(schema).get("properties", {}) if name in parent]
    taken = []
    for name in names:
        trial = {**body, name: parent[name]}
        if answer_errors(schema, trial) is None:
            body = trial
            taken.append(name)
    return body, taken


def _shape(path: str) -> tuple[str, ...]:
    """A path's segments, every parameter alike: `/a/{id}` and `/a/{campaign_id}` are one shape."""
    return tuple("{}" if _is_param(s) else s for s in path.strip("/").split("/"))


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")
