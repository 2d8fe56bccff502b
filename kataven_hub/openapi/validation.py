"""Connexion's validators, with messages that say what was wrong and where (the form bodies'
own: `openapi.formbodies`), parameters read by the document's own schemas, and an optional JSON
body allowed to be empty."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.uri_parsing import OpenAPIURIParser
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from starlette.datastructures import Headers
from starlette.types import Receive, Scope

from kataven_hub.openapi.answering import JSONAnswerValidator
from kataven_hub.openapi.coercion import NAME, ORIGINAL, coerce, original
from kataven_hub.openapi.formbodies import FormValidator, UrlencodedValidator, describe
from kataven_hub.openapi.forms import deep_fields
from kataven_hub.schemas.dialect import FORMATS, RequestValidator


class ParameterChecker(ParameterValidator):
    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if value is None:
            return ParameterValidator.validate_parameter(parameter_type, value, param, param_name)
        schema = original(param.get("schema", param))
        if parameter_type in ("header", "cookie"):  # Connexion leaves them as text
            value = coerce(value, schema)
        validator = RequestValidator(schema, format_checker=FORMATS)
        error = best_match(validator.iter_errors(value))
        return None if error is None else f"{param.get(NAME, param['name'])}: {describe(error)}"


class FormURIParser(OpenAPIURIParser):
    """An optional form field sent empty is a field not given: an HTML form (Swagger UI's among
    them) sends every field, the blank ones as `name=`. So is an optional query parameter sent
    empty where the document allows it (`allowEmptyValue: true`, `?opt_pretty=`); an array query
parameter sent empty (`?fields=`) is an empty list. Both the
    validator and the handler read the form through here. A required field sent empty stays, and
    fails its own rules. A
    parameter or form field whose schema Connexion cannot coerce by (`openapi.coercion`), an
    object query parameter sent `explode: false` (`f=x,a,n,1`), an object path parameter in its
    style (`simple`: `Build,884,Major,302`; exploded, `Build=884,Major=302`), an object form
    field (JSON text, a multipart part's default for an object) and form fields in `deepObject`
    style (`tos_acceptance[date]=0`, `openapi.forms.deep_fields`) are read here."""

    _param_defns: dict[str, dict[str, Any]]

    def __init__(self, param_defns: list[dict[str, Any]], body_defn: dict[str, Any]) -> None:
        super().__init__(param_defns, body_defn)
        self._placed = {place: {p["name"]: p for p in param_defns if p["in"] == place} for place in self.parsable_parameters}

    def resolve_params(self, params: dict[str, Any], _in: str) -> dict[str, Any]:
        """Each parameter read by the definition of its own place: a path and a query parameter
        may have the same name (SendGrid's `/contactdb/lists/{list_id}?list_id=6`), and Connexion
        keeps one definition by name."""
        every = self._param_defns
        self._param_defns = self._placed.get(_in, every)
        try:
            return self._resolved(params, _in)
        finally:
            self._param_defns = every

    def _resolved(self, params: dict[str, Any], _in: str) -> dict[str, Any]:
        if _in == "query":
            defined = self.param_defns
            params = {name: value for name, value in params.items() if not (_blank(value) and _may_be_empty(defined.get(name)))}
            params = _exploded_object(params, defined)
        resolved: dict[str, Any] = super().resolve_params(params, _in)
        for name, value in resolved.items():
            schema = self.param_schemas.get(name) or {}
            if ORIGINAL in schema:
                resolved[name] = coerce(value, schema[ORIGINAL])
            elif isinstance(value, dict):
                resolved[name] = coerce(value, schema)
            elif _in == "query" and _unexploded_object(self.param_defns.get(name) or {}, schema) and isinstance(value, str):
                resolved[name] = coerce(_pairs(value), schema)
            elif _in == "path" and _simple_object(self.param_defns.get(name) or {}, schema) and isinstance(value, str):
                exploded = (self.param_defns.get(name) or {}).get("explode") is True
                resolved[name] = coerce(_assigned(value) if exploded else _pairs(value), schema)
            elif _in == "query" and schema.get("type") == "array" and value == [""] and not _only_blank(schema):
                resolved[name] = []  # `?fields=`: an empty list, as clients send one (Schemathesis does)
        return resolved

    def resolve_form(self, form_data: dict[str, Any]) -> dict[str, Any]:
        deep = deep_fields(form_data, self._body_schema or {}, self._body_encoding or {})
        required = set((self._body_schema or {}).get("required", []))
        for name in [k for k, values in form_data.items() if k not in required and _blank(values)]:
            del form_data[name]
        resolved: dict[str, Any] = super().resolve_form(form_data)
        fields = (self._body_schema or {}).get("properties") or {}
        resolved |= {name: coerce(value, original(fields[name])) for name, value in deep.items()}
        for name, value in resolved.items():
            if isinstance(fields.get(name), dict) and ORIGINAL in fields[name]:
                resolved[name] = coerce(value, fields[name][ORIGINAL])
            elif isinstance(fields.get(name), dict) and fields[name].get("type") == "object" and isinstance(value, str):
                resolved[name] = _json_object(value)
        return resolved


def _may_be_empty(parameter: dict[str, Any] | None) -> bool:
    return isinstance(parameter, dict) and parameter.get("allowEmptyValue") is True and not parameter.get("required")


def _unexploded_object(parameter: dict[str, Any], schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" and parameter.get("style", "form") == "form" and parameter.get("explode") is False


def _exploded_object(params: dict[str, Any], defined: dict[str, Any]) -> dict[str, Any]:
    """The query with an object parameter sent in its default style (`form`, exploded: each
    property a parameter of its own, Jellyfin's `?streamOptions` as `?a=1&b=2`) gathered from the
    parameters the operation does not define; only where it has one such parameter (with two,
    which property is whose cannot be told), and not where it is sent by name with a value."""
    objects = [name for name, parameter in defined.items() if _form_object(parameter)]
    if len(objects) != 1 or not _blank(params.get(objects[0], "")):
        return params
    loose = {name: value[-1] if isinstance(value, list) else value for name, value in params.items() if name not in defined}
    if not loose and objects[0] not in params:
        return params
    return {**{name: value for name, value in params.items() if name in defined}, objects[0]: [loose]}


def _form_object(parameter: dict[str, Any]) -> bool:
    schema = parameter.get("schema") or {}
    return schema.get("type") == "object" and parameter.get("style", "form") == "form" and parameter.get("explode", True) is True


def _only_blank(schema: dict[str, Any]) -> bool:
    """Whether an array schema takes `?ids=` only as one blank item (`minItems: 1`, any string)."""
    validator = RequestValidator(schema, format_checker=FORMATS)
    return validator.is_valid([""]) and not validator.is_valid([])


def _simple_object(parameter: dict[str, Any], schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" and parameter.get("style", "simple") == "simple"


def _assigned(value: str) -> dict[str, str] | str:
    """`x=a,n=1` as `{x: a, n: 1}` (an object sent `explode: true` in a path); left as it is if not."""
    parts = [part.partition("=") for part in value.split(",")]
    return {key: text for key, _, text in parts} if all(equals for _, equals, _ in parts) else value


def _pairs(value: str) -> dict[str, str] | str:
    """`x,a,n,1` as `{x: a, n: 1}` (an object sent `explode: false`); left as it is if not pairs."""
    parts = value.split(",")
    return dict(zip(parts[::2], parts[1::2], strict=True)) if len(parts) % 2 == 0 else value


def _json_object(text: str) -> Any:
    """An object field's text read as JSON (a multipart part's default type for an object), or
    left as text, for validation to refuse."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, dict) else text


def _blank(values: Any) -> bool:
    return all(v == "" for v in values) if isinstance(values, list) else values == ""


class JSONBodyValidator(JSONRequestBodyValidator):
    """Connexion's, with OpenAPI's integer formats checked, a body that is not text refused as a
    400, an optional body allowed to be left out (Connexion refuses an empty one even where the
    document says `required: false`), and a `null` body taken where the schema takes null (3.1's
    `type: [object, "null"]`, a schema with no type: Connexion reads only 3.0's `nullable`)."""

    @property
    def _validator(self) -> Draft202012Validator:
        return RequestValidator(self._schema, format_checker=FORMATS)

    async def _parse(self, stream: AsyncIterator[bytes], scope: Scope) -> Any:
        sent = False

        async def seen() -> AsyncIterator[bytes]:
            nonlocal sent
            async for chunk in stream:
                sent = sent or bool(chunk.strip())
                yield chunk

        try:
            parsed = await super()._parse(seen(), scope)
        except UnicodeDecodeError:
            raise BadRequestProblem(detail=f"the body is not {self._encoding} text") from None
        return _NULL if parsed is None and sent else parsed

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is _NULL and self._validator.is_valid(None):
            return None
        return super()._validate(None if body is _NULL else body)

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        if not self._required and Headers(scope=scope).get("content-length", "0") == "0":
            return receive, scope  # no body, as allowed: nothing to check (a `null` body is checked)
        return await super().wrap_receive(receive, scope=scope)


_NULL = object()
"""A body that is JSON's `null`, told apart from no body at all."""

VALIDATORS = {
    **VALIDATOR_MAP,
    "parameter": ParameterChecker,
    "body": MediaTypeDict(
        {**VALIDATOR_MAP["body"], "*/*json": JSONBodyValidator, "multipart/form-data": FormValidator,
         "application/x-www-form-urlencoded": UrlencodedValidator}
    ),
    "response": MediaTypeDict({**VALIDATOR_MAP["response"], "*/*json": JSONAnswerValidator}),
}
