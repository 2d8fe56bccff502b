"""What a document says its API sends rather than serves: the operations of its `webhooks` (3.1
and later) and of each operation's `callbacks`, listed by `hub routes`. Nothing here sends them."""

from __future__ import annotations

import dataclasses
from typing import Any

from kataven_hub.openapi.document import METHODS
from kataven_hub.openapi.pointers import resolved

NO_ID = "-"
"""What stands for an operationId the document does not give (it names no function here)."""


@dataclasses.dataclass(frozen=True)
class Sent:
    name: str
    """The webhook's name, or the callback's."""
    method: str
    target: str
    """Where it goes: the webhook's name (the receiver registers a URL for it out of band), or the
    callback's runtime expression (`{$request.body#/callbackUrl}`)."""
    operation_id: str
    body: str
    """The request body's schema: its name where a `$ref` names it, `inline`, or `-` for none."""
    sent_by: str = ""
    """The operationId of the operation whose callback it is; empty for a webhook."""


def webhooks(document: dict[str, Any]) -> list[Sent]:
    """The operations of the document's `webhooks`, in its order."""
    found = []
    for name, item in _mapping(document, document.get("webhooks")).items():
        for method, operation in _operations(document, item):
            found.append(Sent(str(name), method, str(name), _id(operation), _body(document, operation)))
    return found


def callbacks(document: dict[str, Any]) -> list[Sent]:
    """The operations of every callback of the document's operations, in its order."""
    found = []
    owners = [op for item in _mapping(document, document.get("paths")).values() for _method, op in _operations(document, item)]
    for owner in owners:
        for name, callback in _mapping(document, owner.get("callbacks")).items():
            for expression, item in _mapping(document, callback).items():
                if str(expression).startswith("x-"):
                    continue
                for method, operation in _operations(document, item):
                    body = _body(document, operation)
                    found.append(Sent(str(name), method, str(expression), _id(operation), body, _id(owner)))
    return found


def _mapping(document: dict[str, Any], node: Any) -> dict[str, Any]:
    """`node` with its `$ref` followed, or an empty mapping where it is none (served `--lenient`)."""
    node = resolved(document, node)
    return node if isinstance(node, dict) else {}


def _operations(document: dict[str, Any], item: Any) -> list[tuple[str, dict[str, Any]]]:
    item = _mapping(document, item)
    return [(method, item[method]) for method in METHODS if isinstance(item.get(method), dict)]


def _id(operation: dict[str, Any]) -> str:
    return str(operation.get("operationId") or NO_ID)


def _body(document: dict[str, Any], operation: dict[str, Any]) -> str:
    content = _mapping(document, _mapping(document, operation.get("requestBody")).get("content"))
    media = next(iter(content.values()), None)
    schema = media.get("schema") if isinstance(media, dict) else None
    if not isinstance(schema, dict):
        return NO_ID
    reference = schema.get("$ref")
    return reference.rpartition("/")[2] if isinstance(reference, str) else "inline"


def listing(document: dict[str, Any]) -> list[str]:
    """`hub routes`'s lines for them, in its table style: a section for the webhooks, one for the
    callbacks, none where the document has neither."""
    lines = []
    for title, found in (("webhooks", webhooks(document)), ("callbacks", callbacks(document))):
        if not found:
            continue
        target_width = max(len(s.target) for s in found)
        id_width = max(len(s.operation_id) for s in found)
        lines += ["", f"{title} (sent by the API, not served):"]
        for s in found:
            about = f"{s.name}: sent by {s.sent_by} (body {s.body})" if s.sent_by else f"body {s.body}"
            lines.append(f"{s.method.upper():<7} {s.target:<{target_width}}  {s.operation_id:<{id_width}}  {about}")
    return lines
