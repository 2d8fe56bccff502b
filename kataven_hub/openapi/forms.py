"""Form bodies (urlencoded and multipart) in Connexion's view: a form schema is an object even
where the document leaves out `type: object`, its fields gathered from the parts of an `allOf`
(the schema as written kept under `ORIGINAL`, for validation), a file field is one where 3.1 says
it its way (`contentMediaType`), and a field without a `type` Connexion could coerce by is kept
under `ORIGINAL`, for our coercion and validation. Fields sent in `deepObject` style, which
Connexion reads in a query alone, are gathered here (`deep_fields`)."""

from __future__ import annotations

import re
from typing import Any

from kataven_hub.openapi.coercion import ORIGINAL, original
from kataven_hub.openapi.document import METHODS
from kataven_hub.openapi.pointers import escape, resolved

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def untyped_forms(document: dict[str, Any]) -> list[str]:
    """Each form body schema of the view made one Connexion reads (in place); a warning line for
    each field Connexion could not coerce."""
    warnings = []
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            body = operation["requestBody"] = resolved(document, operation["requestBody"])
            for media, content in (body.get("content") or {}).items() if isinstance(body, dict) else []:
                if media.split(";")[0].strip().lower() in FORMS and isinstance(content, dict):
                    place = f"/paths/{escape(path)}/{method}/requestBody/content/{escape(media)}/schema"
                    warnings += _form(document, content, place, multipart=media.startswith("multipart/"))
    return warnings


def restored(schema: dict[str, Any]) -> dict[str, Any]:
    """A form schema of the view with the document's own schema of each field put back (the
    document's own schema, where the view gathered its fields from an `allOf`)."""
    if isinstance(schema.get(ORIGINAL), dict):
        return schema[ORIGINAL]
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return schema
    return {**schema, "properties": {name: original(field) if isinstance(field, dict) else field for name, field in properties.items()}}


def _form(document: dict[str, Any], content: dict[str, Any], place: str, *, multipart: bool) -> list[str]:
    schema = content["schema"] = dict(resolved(document, content.get("schema") or {}))
    if isinstance(schema.get("allOf"), list) and not isinstance(schema.get("properties"), dict):
        schema = content["schema"] = {**_gathered(document, schema), ORIGINAL: schema}
    if not isinstance(schema.get("properties"), dict):
        return []
    if "type" not in schema:
        schema["type"] = "object"
    properties = schema["properties"] = dict(schema["properties"])
    warnings = []
    for name, field in properties.items():
        field = properties[name] = _file(resolved(document, field)) if multipart else resolved(document, field)
        if isinstance(field, dict) and _untyped(document, field):
            array = field.get("type") == "array"
            properties[name] = {"type": "array", "items": {"type": "string"}} if array else {"type": "string"}
            properties[name][ORIGINAL] = field
            warnings.append(f"{place}/properties/{escape(name)}: the form field has no type Connexion can coerce by; validated by its own schema")
    return warnings


def _gathered(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The fields of a form schema written as an `allOf` (PeerTube's upload: the common fields,
    and the file), as one object: Connexion reads a form's fields from `properties` alone, and
    would leave each value a list, which no field's schema takes."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for part in [schema, *(resolved(document, p) for p in schema.get("allOf") or [])]:
        part = _gathered(document, part) if part is not schema and isinstance(part, dict) and "allOf" in part else part
        if isinstance(part, dict):
            properties |= {name: field for name, field in (part.get("properties") or {}).items() if name not in properties}
            required += [name for name in part.get("required") or [] if name not in required]
    return {"type": "object", "properties": properties, **({"required": required} if required else {})}


def _file(field: Any) -> Any:
    """A file field as Connexion knows one (`format: binary`), where 3.1 says it with
    `contentMediaType` alone (with `contentEncoding` it is text); an array of them too."""
    if not isinstance(field, dict):
        return field
    if field.get("type") == "array" and isinstance(field.get("items"), dict):
        return {**field, "items": _file(field["items"])}
    if field.get("type") == "string" and "contentMediaType" in field and not {"contentEncoding", "format"} & set(field):
        return {**field, "format": "binary"}
    return field


def _untyped(document: dict[str, Any], field: dict[str, Any]) -> bool:
    if not isinstance(field.get("type"), str):
        return True  # none, or 3.1's list of them
    items = resolved(document, field.get("items", {}))
    return field["type"] == "array" and not (isinstance(items, dict) and isinstance(items.get("type"), str))


_PART = re.compile(r"\[([^\[\]]*)\]")


def deep_fields(form: dict[str, list[Any]], schema: dict[str, Any], encoding: dict[str, Any]) -> dict[str, Any]:
    """The fields of a form sent in `deepObject` style (Stripe's `tos_acceptance[date]=0`,
    `metadata[key]=value`), taken out of `form` (in place) and gathered under the field each
    belongs to, as objects (lists where its schema has an array and the keys are indexes; an
    empty one sent blank, `x[y]=`, where the schema takes no text there); each value its last
    text. A key whose brackets do not nest (`metadata[a[b]`) is one key, all between the first
    `[` and the last `]`."""
    properties = schema.get("properties") or {}
    gathered: dict[str, Any] = {}
    for key in [k for k in form if k not in properties and "[" in k and k.endswith("]")]:
        root, _, rest = key.partition("[")
        if root not in properties or (encoding.get(root) or {}).get("style") != "deepObject":
            continue
        path = _PART.findall(f"[{rest}")
        path = path if f"[{rest}" == "".join(f"[{p}]" for p in path) else [rest[:-1]]
        values = form.pop(key)
        node = gathered.setdefault(root, {})
        for part in path[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[path[-1]] = values[-1] if isinstance(values, list) and values else values
    return {root: _indexed(value, original(properties[root])) for root, value in gathered.items()}


def _indexed(value: Any, schema: Any) -> Any:
    """`{0: a, 1: b}` as `[a, b]` where the schema (or a branch of it) is an array, and `""` as an
    empty one where it takes no text; inside too."""
    branches = [schema, *(schema.get("anyOf") or []), *(schema.get("oneOf") or [])] if isinstance(schema, dict) else []
    kinds = {b.get("type") for b in branches if isinstance(b, dict)}
    if value == "" and "string" not in kinds:
        return {} if "object" in kinds else [] if "array" in kinds else value
    if not isinstance(value, dict):
        return value
    array = next((b for b in branches if isinstance(b, dict) and b.get("type") == "array"), None)
    if array is not None and value and all(key.isdigit() for key in value):
        return [_indexed(value[key], array.get("items")) for key in sorted(value, key=int)]
    shape = next((b for b in branches if isinstance(b, dict) and (b.get("type") == "object" or "properties" in b)), {})
    properties, others = shape.get("properties") or {}, shape.get("additionalProperties")
    return {key: _indexed(inner, properties.get(key, others)) for key, inner in value.items()}
