"""Connexion's view of a document: a copy it can serve without failing at request time, and one
warning line (naming its JSON pointer) for each thing changed. Clients, `/openapi.json`, the mock
and our validators see the document itself (served `--lenient`, the mock sees it repaired, as the
view is built from); only Connexion routes and coerces through the view."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs
from connexion.json_schema import NullableTypeValidator
from connexion.spec import Specification
from jsonschema import Draft4Validator
from jsonschema.validators import extend as extend_validator

from kataven_hub.openapi import forms, paths
from kataven_hub.openapi.coercion import ORIGINAL
from kataven_hub.openapi.defaults import drop_mistyped
from kataven_hub.openapi.document import METHODS
from kataven_hub.openapi.oas31 import as_three_oh, later, prepared
from kataven_hub.openapi.pointers import escape as _escape
from kataven_hub.openapi.pointers import followed as _followed
from kataven_hub.openapi.pointers import path_refs_inlined, path_refs_shared, values_inlined
from kataven_hub.openapi.pointers import resolved as _resolved

UNDEFINED = "x-hub-undefined-scheme"
"""Marks, in the view, a scheme the document names but does not define (its name under this key,
and this as its `http` scheme, which `web.security` answers): nothing satisfies it."""
UNSERVED = "x-hub-unserved"
"""Marks, in the view, an operation served as a `501` saying why (`--lenient`)."""
_UNTOUCHED = {"type": "string", "format": "binary"}
"""A schema Connexion neither coerces nor casts (its `file`): the value stays as we coerced it."""


@dataclasses.dataclass(frozen=True)
class View:
    document: dict[str, Any]
    warnings: list[str]
    unserved: dict[str, str] = dataclasses.field(default_factory=dict)
    """operationId: why it answers 501."""


def view(document: dict[str, Any], unservable: dict[str, str] | None = None, *, lenient: bool = False) -> View:
    """Connexion's view of a loaded `document` (served `--lenient`: as `openapi.lenient.repaired`
    mends it); `unservable` (operationId: why) become 501s. A reference into `paths` is followed
    in a copy, and made again where the copy is unchanged (`pointers.path_refs_shared`), unless
    `lenient`: Connexion checks such a view, and the reference may be where 3.0 allows none."""
    source = prepared(document) if later(document) else document
    copied: list[str] = []
    served = values_inlined(path_refs_inlined(source, inlined_refs=copied))
    if later(document):
        as_three_oh(served)
    unserved = dict(unservable or {})
    for path, method, operation in _operations(served):
        if operation.get("operationId") in unserved:
            reason = unserved[operation["operationId"]]
            served["paths"][path][method] = {"operationId": operation["operationId"], UNSERVED: reason,
                                             "responses": {"501": {"description": reason}}}  # fmt: skip
    for path, item in (served.get("paths") or {}).items():
        if isinstance(item, dict) and any(isinstance(item.get(m), dict) and UNSERVED in item[m] for m in METHODS):
            _unshare(served, path, item)  # a path item's parameters may be where a template mismatch is
    untyped, unserialized = _untyped_parameters(served)
    untyped += forms.untyped_forms(served)
    warnings = _undefined_schemes(served) + ([] if later(document) else untyped) + unserialized  # 3.1's type lists are no news
    warnings += drop_mistyped(served) + paths.alike(served)
    paths.route_as_sent(served)
    if copied and not lenient:
        path_refs_shared(source, served)
    return View(served, warnings, unserved)


def _unshare(document: dict[str, Any], path: str, item: dict[str, Any]) -> None:
    """The path item's parameters moved into its operations: all of them into those still
    served, its path parameters the template has into those not (so all route alike); none when
    no operation of it is served (the shared parameters may be its problem)."""
    shared = [_resolved(document, p) for p in item.pop("parameters", None) or [] if isinstance(p, dict)]
    operations = [item[m] for m in METHODS if isinstance(item.get(m), dict)]
    if all(UNSERVED in operation for operation in operations):
        return
    for operation in operations:
        if UNSERVED in operation:
            operation["parameters"] = [p for p in shared if p.get("in") == "path" and f"{{{p.get('name')}}}" in path]
            continue
        own = operation.get("parameters") or []
        keys = {(p.get("name"), p.get("in")) for p in own if isinstance(p, dict)}
        operation["parameters"] = [p for p in shared if (p.get("name"), p.get("in")) not in keys] + own


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    paths = document.get("paths") or {}
    return [(p, m, item[m]) for p, item in paths.items() if isinstance(item, dict) for m in METHODS if isinstance(item.get(m), dict)]


def _undefined_schemes(document: dict[str, Any]) -> list[str]:
    """A requirement naming a scheme the document does not define becomes one no credential
    satisfies (Connexion would answer every request with a 500)."""
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    places = [("/security", document.get("security") or [])]
    places += [(f"/paths/{_escape(p)}/{m}/security", op.get("security") or []) for p, m, op in _operations(document)]
    warnings = []
    for place, requirements in places:
        for name in sorted({name for requirement in requirements if isinstance(requirement, dict) for name in requirement}):
            if name in schemes and not schemes[name].get(UNDEFINED):
                continue
            schemes[name] = {"type": "http", "scheme": UNDEFINED, UNDEFINED: name}
            warnings.append(f"{place}: the security scheme {name!r} is not in components.securitySchemes; no credential satisfies it (401)")
    return warnings


def _untyped_parameters(document: dict[str, Any]) -> tuple[list[str], list[str]]:
    """A parameter schema Connexion cannot coerce is kept under `ORIGINAL` for our coercion and
    validation, and shown to Connexion as one it leaves alone; so is an array of objects, whose
    items are taken as sent (OpenAPI defines no serialization of them). The warnings of each."""
    warnings, unserialized = [], []
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        lists = [(f"/paths/{_escape(path)}/parameters", item)]
        lists += [(f"/paths/{_escape(path)}/{m}/parameters", item[m]) for m in METHODS if isinstance(item.get(m), dict)]
        for place, owner in lists:
            for index, parameter in enumerate(owner.get("parameters") or []):
                parameter = _resolved(document, parameter)
                owner["parameters"][index] = parameter
                schema = parameter.get("schema")
                if isinstance(schema, dict) and _object_items(document, schema):
                    parameter["schema"] = _stand_in(document, {**_followed(document, schema), "items": {}})
                    unserialized.append(f"{place}/{index}: {parameter.get('name')!r} is an array of objects, which OpenAPI"
                                    " gives no serialization in a parameter; its items are taken as sent, unvalidated")
                elif isinstance(schema, dict) and _needs_us(document, schema):
                    parameter["schema"] = _stand_in(document, schema)
                    warnings.append(f"{place}/{index}: the schema of {parameter.get('name')!r} has no type Connexion can coerce by; validated by its own schema")
                elif isinstance(schema, dict) and parameter.get("in") == "path" and _followed(document, schema).get("type") == "number":
                    parameter["schema"] = _stand_in(document, schema)  # Connexion routes no exponent (`5e-3`): a 404
    return warnings, unserialized


def _needs_us(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = _followed(document, schema)
    if not _typed(schema):
        return True
    if schema["type"] == "array":
        return not _typed(_followed(document, schema.get("items", {})))
    properties = schema.get("properties") or {} if schema["type"] == "object" else {}
    return any(not _typed(_followed(document, p)) for p in properties.values())


def _object_items(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = _followed(document, schema)
    items = _followed(document, schema.get("items")) if isinstance(schema, dict) and schema.get("type") == "array" else None
    return isinstance(items, dict) and (items.get("type") == "object" or ("type" not in items and "properties" in items))


def _typed(schema: Any) -> bool:
    """Whether Connexion can coerce by the schema: it has one `type` (not 3.1's list of them)."""
    return isinstance(schema, dict) and isinstance(schema.get("type"), str)


def _stand_in(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    kind = _followed(document, schema).get("type")
    if kind == "array":
        return {"type": "array", "items": dict(_UNTOUCHED), ORIGINAL: schema}
    if kind == "object":
        return {"type": "object", ORIGINAL: schema}
    return {**_UNTOUCHED, ORIGINAL: schema}


def trusted() -> contextlib.AbstractContextManager[None]:
    """Connexion's own check of the documents given to it meanwhile skipped: each has passed
    openapi-spec-validator's, which is stricter, and Connexion's (Draft 4, every default walked
    against its schema) was half of building the app. Not for a document served `--lenient`."""
    return _checking(lambda _cls, _spec: None)


def checked() -> contextlib.AbstractContextManager[None]:
    """Connexion's own check of the documents given to it meanwhile (a document served
    `--lenient`: its repairs may leave what Connexion cannot serve) made by jsonschema-rs first:
    a document its meta-schema accepts, each `default` in it valid against the mapping holding it
    (a superset of the schemas whose defaults Connexion checks), passes at once; any other gets
    Connexion's own check, which refuses it in its words. That check was 1 s of SendGrid's start."""
    own = Specification.__dict__["_validate_spec"].__func__
    return _checking(lambda cls, spec: None if _accepted(cls, spec) else own(cls, spec))


@contextlib.contextmanager
def _checking(check: Callable[[type[Specification], dict[str, Any]], None]) -> Iterator[None]:
    """Connexion's check of each document given to it meanwhile replaced by `check`."""
    own = Specification.__dict__["_validate_spec"]
    Specification._validate_spec = classmethod(check)
    try:
        yield
    finally:
        Specification._validate_spec = own


def _accepted(cls: type[Specification], spec: dict[str, Any]) -> bool:
    """Whether Connexion's check passes the document, where this can tell at once; False where only
    that check can."""
    try:
        if not _draft4(cls).is_valid(spec):
            return False
        defaults = extend_validator(Draft4Validator, {"type": NullableTypeValidator})(spec)
        return all(defaults.evolve(schema=held).is_valid(held["default"]) for held in _holding_default(spec))
    except Exception:  # noqa: BLE001 - a mapping with a default that is no schema: Connexion's check decides
        return False


def _draft4(cls: type[Specification]) -> Any:
    """jsonschema-rs's validator of Connexion's meta-schema for the kind of document `cls` is
    (formats not checked: Connexion's check does not check them), made once."""
    if cls not in _DRAFT4:
        _DRAFT4[cls] = jsonschema_rs.Draft4Validator(cls.openapi_schema, validate_formats=False)
    return _DRAFT4[cls]


_DRAFT4: dict[type[Specification], Any] = {}


_NAMES = {"properties", "content", "encoding", "headers", "links", "examples", "variables", "callbacks"}
"""Mappings of names (a property, a media type...; `default` or `x-rate` may be one) to objects."""
_COMPONENTS = {"schemas", "responses", "parameters", "requestBodies", "securitySchemes"}
"""The other mappings of names, in `components`."""


def _holding_default(value: Any, *, names: bool = False, under: str = "") -> Iterator[dict[str, Any]]:
    """Each mapping with a `default` in `value` (`under` the key it is at), but in what the
    meta-schema leaves unchecked (an `example`, an `x-` extension) and in a mapping of names
    (`names`), which is no object Connexion checks, but each of whose objects is."""
    if isinstance(value, dict):
        if "default" in value and not names:
            yield value
        for key, inner in value.items():
            if not names and (key == "example" or str(key).startswith("x-")):
                continue
            named = not names and (key in _NAMES or (under == "components" and key in _COMPONENTS))
            yield from _holding_default(inner, names=named, under=str(key))
    elif isinstance(value, list):
        for inner in value:
            yield from _holding_default(inner)
