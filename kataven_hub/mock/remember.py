"""Mocks that remember: the usual REST shapes recognised in a document (a collection path with a
`POST`, and an item path below it with one path parameter) and answered from what the account stored through
them. Create stores the request body completed into the documented answers of create, read and
list (id and other fields generated to the schema, a field none of them takes replaced); read answers it, or a 404; list answers the collection in the documented
shape, paged; replace and update (JSON merge) change it; delete removes it. Every answer is checked
against the document. `x-hub-mock: stateless` on an operation keeps it a plain mock."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

from kataven_hub.errors import NotFound
from kataven_hub.mock.mocker import MockFailure
from kataven_hub.openapi import Operation
from kataven_hub.schemas.answers import answer_errors_once, known_valid
from kataven_hub.schemas.flatten import flatten
from kataven_hub.schemas.generate import generate
from kataven_hub.schemas.satisfy import completed, short
from kataven_hub.storage import Connection

OPT_OUT = "x-hub-mock"
ROLES = {("post", False): "create", ("get", False): "list", ("get", True): "read", ("put", True): "replace",
         ("patch", True): "update", ("delete", True): "delete"}  # fmt: skip
"""(method, on the item path) -> what the operation does to the collection."""
LIMITS = ("limit", "page_size", "pageSize", "per_page", "perPage", "size")
OFFSETS = ("offset", "skip")
MOST = 2**62
"""The largest limit or offset asked of the database (SQLite's and PostgreSQL's integers are 64-bit)."""
PAGES = ("page",)


@dataclasses.dataclass(frozen=True)
class Role:
    kind: str
    """create, list, read, replace, update or delete."""
    param: str | None
    """The item path's parameter (the resource's id), for item operations."""
    status: int = 200
    """The success status it answers, and the JSON schema of that answer (None: no JSON body)."""
    schema: dict[str, Any] | None = None
    reads: tuple[dict[str, Any], ...] = ()
    """For a create: the schemas of the collection's read answer and list item, which what it
    stores must satisfy too."""


def roles(operations: list[Operation]) -> dict[str, Role]:
    """What each remembered operation does, by operationId: those of a collection that has a
    create (`POST`, answering the resource: not a bare id) and an item path below it (without a
    create there is nothing to remember)."""
    paths = {op.path for op in operations}
    operations = [op for op in operations if _succeeds(op)]  # one documenting no success is answered as documented
    creatable = {op.path for op in operations
                 if op.method == "post" and op.definition.get(OPT_OUT) != "stateless" and not _wraps(_success(op)[1])
                 and _an_object(_success(op)[1])}  # fmt: skip
    items = {path: path.rsplit("/", 1)[0] for path in paths if _last_is_param(path) and path.rsplit("/", 1)[0] in creatable}
    found = {}
    for op in operations:
        on_item = op.path in items
        if not on_item and op.path not in items.values() or op.definition.get(OPT_OUT) == "stateless":
            continue
        kind = ROLES.get((op.method, on_item))
        if kind:
            param = op.path.rsplit("/", 1)[1].strip("{}") if on_item else None
            found[op.operation_id] = Role(kind, param, *_success(op))
    return _with_reads(found, {op.operation_id: op for op in operations})


def _with_reads(found: dict[str, Role], operations: dict[str, Operation]) -> dict[str, Role]:
    """The create roles, each with its collection's read and list item schemas."""
    reads: dict[str, list[dict[str, Any]]] = {}
    for operation_id, role in found.items():
        path = operations[operation_id].path
        collection = path.rsplit("/", 1)[0] if role.param else path
        schema = role.schema if role.kind == "read" else _item_schema(role.schema) if role.kind == "list" else None
        if schema is not None:
            reads.setdefault(collection, []).append(schema)
    return {
        operation_id: dataclasses.replace(role, reads=tuple(reads.get(operations[operation_id].path, [])))
        if role.kind == "create" else role
        for operation_id, role in found.items()
    }  # fmt: skip


def _wraps(schema: dict[str, Any] | None) -> bool:
    """Whether a create answers the resource inside a wrapper (`{"certificate": {"id": ...}}`): no
    id of its own, an object with one among its fields. What it would store is not the resource:
    its collection is not remembered."""
    properties = flatten(schema or {}).get("properties", {})
    return _id_field(schema) is None and any(_id_field(field) for field in properties.values() if isinstance(field, dict))


def _last_is_param(path: str) -> bool:
    last = path.rsplit("/", 1)[1]
    return last.startswith("{") and last.endswith("}") and last.count("{") == 1


@dataclasses.dataclass
class Request:
    path: str
    path_params: dict[str, Any]
    query: dict[str, str]
    body: Any


def answer(conn: Connection, operation: Operation, role: Role, request: Request, seed: str) -> tuple[int, str | None]:
    """(status, JSON text or None) of a remembered operation; NotFound for an id the account has
    not; `Unremembered` where the answer cannot be made to validate (nothing is stored then)."""
    status, schema = role.status, role.schema
    if role.kind == "list":
        body = _page(conn, request, schema, seed)
        if schema is not None and answer_errors_once(schema, body, json.dumps(body)) is not None:
            body = _page(conn, request, schema, seed, complete=True)  # stored before the document changed
        return status, _checked(operation, schema, body)
    collection = request.path if role.kind == "create" else request.path.rsplit("/", 1)[0]
    if role.kind == "create":
        number = conn.next_number()
        body = _completed(schema, request.body, seed=f"{seed}:{number}", id_value=number)
        for answered in (*role.reads, *([schema] if schema else [])):
            body = completed(answered, body, f"{seed}:{number}")
        if not isinstance(body, dict):  # a read answers something other than an object: no resource to keep
            raise Unremembered(f"{operation.operation_id}: what a read of it answers is not an object")
        resource_id = str(body.get(_id_field(schema) or "", number))
        created = _checked(operation, schema, body)  # before it is stored: one that fails is not kept
        conn.put_resource(collection, resource_id, body)
        return status, created if schema is not None else None  # an answer without a JSON body: none
    resource_id = str(request.path_params.get(role.param or ""))
    text = conn.get_resource(collection, resource_id)
    if text is None:
        raise NotFound("Not found")
    if role.kind == "read" and schema is not None and known_valid(schema, text):
        return status, text  # read and checked as it is before: the answer again, unparsed
    stored = json.loads(text)
    if role.kind == "delete":
        conn.delete_resource(collection, resource_id)
    elif role.kind in ("replace", "update"):
        changes = request.body if isinstance(request.body, dict) else {}
        merged = _merge_patch(stored, changes) if role.kind == "update" else {**changes}
        stored = {**merged, **{k: stored[k] for k in _read_only(schema) if k in stored}}
        text = conn.put_resource(collection, resource_id, stored)
    if schema is None:  # the answer documents no JSON body
        return status, None
    body = completed(schema, stored, seed)
    return status, _checked(operation, schema, body, text if body is stored else None)


def _an_object(schema: dict[str, Any] | None) -> bool:
    """Whether a create's answer can be the resource (none, or an object: not a bare id)."""
    return schema is None or flatten(schema).get("type", "object") == "object"


def _succeeds(operation: Operation) -> bool:
    """Whether the operation documents a success (a 2xx, `2XX` or `default`)."""
    return any(str(code).startswith("2") or code == "default" for code in operation.definition.get("responses") or {})


def _success(operation: Operation) -> tuple[int, dict[str, Any] | None]:
    responses = operation.definition["responses"]
    status = min((int(c) for c in responses if c.isdigit() and c.startswith("2")), default=200)
    content = (responses.get(str(status)) or {}).get("content") or {}
    media = content.get("application/json") or next((m for t, m in content.items() if "json" in t), None)
    return status, None if media is None else media.get("schema")


def _completed(schema: dict[str, Any] | None, sent: Any, *, seed: str, id_value: int) -> dict[str, Any]:
    """The request body completed into the documented answer: what was sent, the rest generated,
    the id of the schema's type (a number in sequence for an integer, else a uuid)."""
    sent = sent if isinstance(sent, dict) else {}
    if schema is None:
        return {**sent, "id": id_value}
    flat = flatten(schema)
    known = flat.get("properties", {})
    server_side = set(flat.get("required", [])) | set(_read_only(schema))
    drawn = generate(schema, seed, examples=False)
    generated = {k: v for k, v in drawn.items() if k in server_side} if isinstance(drawn, dict) else {}
    body = {**generated, **{k: v for k, v in sent.items() if k in known or not known}}
    field = _id_field(schema)
    if field:
        kind = flatten(known[field]).get("type")
        body[field] = id_value if kind in ("integer", "number") else str(uuid.UUID(int=id_value, version=4))
    return body


def _id_field(schema: dict[str, Any] | None) -> str | None:
    properties = flatten(schema or {}).get("properties", {})
    return "id" if "id" in properties else next((n for n, s in properties.items() if flatten(s).get("readOnly")), None)


def _read_only(schema: dict[str, Any] | None) -> list[str]:
    properties = flatten(schema or {}).get("properties", {})
    return [n for n, s in properties.items() if flatten(s).get("readOnly") or n == _id_field(schema)]


def _merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386: null removes a member, an object merges, anything else replaces."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def _page(conn: Connection, request: Request, schema: dict[str, Any] | None, seed: str, complete: bool = False) -> Any:
    """The collection in the documented shape: a bare array, or an object wrapping one (its other
    fields generated, a total where it has one), paged by the parameters it documents; each item
    `completed` to the item schema if `complete`."""
    query = request.query
    limit = next((int(query[k]) for k in LIMITS if query.get(k, "").isdigit()), 100)
    offset = next((int(query[k]) for k in OFFSETS if query.get(k, "").isdigit()), None)
    if offset is None:
        page = next((int(query[k]) for k in PAGES if query.get(k, "").isdigit()), None)
        offset = 0 if page is None else max(page - 1, 0) * limit
    limit, offset = min(limit, MOST), min(offset, MOST)  # a database's integers end: past them, nothing is there
    items, total = conn.list_resources(request.path, offset, limit)
    item_schema = _item_schema(schema)
    if complete and item_schema is not None:
        items = [completed(item_schema, item, f"{seed}:{number}") for number, item in enumerate(items)]
    flat = flatten(schema or {"type": "array"})
    if flat.get("type", "array") == "array":
        return items
    wrapper = generate(schema or {}, seed, examples=False)
    properties = flat.get("properties", {})
    field = next((n for n, s in properties.items() if flatten(s).get("type") == "array"), "items")
    wrapper[field] = items
    for name in ("total", "count", "totalCount", "total_count"):
        if flatten(properties.get(name, {})).get("type") == "integer":
            wrapper[name] = total
    return wrapper


def _item_schema(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """The schema of a list answer's items: of the bare array, or of the array the object wraps."""
    flat = flatten(schema or {"type": "array"})
    if flat.get("type", "array") != "array":
        flat = next((s for s in map(flatten, flat.get("properties", {}).values()) if s.get("type") == "array"), {})
    items = flat.get("items")
    return items if isinstance(items, dict) else None


def _checked(operation: Operation, schema: dict[str, Any] | None, body: Any, text: str | None = None) -> str:
    """The answer as JSON text (`text`, when the caller has it), once it validates."""
    text = json.dumps(body) if text is None else text
    error = None if schema is None else answer_errors_once(schema, body, text)
    if error is not None:
        raise Unremembered(f"{operation.operation_id}: the remembered answer does not validate: {short(error.message)}")
    return text


class Unremembered(MockFailure):
    """A remembered answer that cannot be completed to validate: the plain mock answers instead."""
