"""Connexion's validators, with messages that say what was wrong and where, repeated form fields
refused instead of silently joined with a comma, and an optional JSON body allowed to be empty."""

from __future__ import annotations

import asyncio
import functools
import json
import tempfile
import weakref
from collections.abc import AsyncIterator
from typing import IO, Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.uri_parsing import OpenAPIURIParser
from connexion.validators import (
    VALIDATOR_MAP,
    FormDataValidator,
    JSONRequestBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
)
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from starlette.datastructures import FormData, Headers
from starlette.formparsers import MultiPartParser
from starlette.types import Message, Receive, Scope

from kataven_hub.errors import InvalidInput
from kataven_hub.openapi.answering import JSONAnswerValidator
from kataven_hub.openapi.coercion import NAME, ORIGINAL, coerce, original
from kataven_hub.openapi.forms import restored
from kataven_hub.schemas.dialect import FORMATS, RequestValidator

BLANK_PATTERN = r"[^ \t\r\n]"
"""The spec's pattern for "not blank", spelled out: `\\S` means different things to the
generator (ECMAScript) and the validator (Python)."""


def describe(error: ValidationError) -> str:
    """`field: problem`, naming a format rather than dumping its regular expression."""
    where = ".".join(str(part) for part in error.absolute_path)
    message = error.message
    if error.validator == "pattern" and "format" in error.schema:
        message = f"{error.instance!r} is not a {error.schema['format']}"
    elif error.validator == "pattern" and error.schema.get("pattern") == BLANK_PATTERN:
        message = "must not be blank"
    return f"{where}: {message}" if where else message


SPOOLED_IN_MEMORY = 1024 * 1024
"""Bytes of a request body kept in memory while it is validated; the rest goes to a temporary file."""
REPLAY_CHUNK = 64 * 1024


class _ValidationParser(MultiPartParser):
    """The parse Connexion validates: a field the form declares once refused when sent again, and
    the uploads closed at once, since validation only asks whether a file part is there (the
    handler parses its own copy)."""

    once: frozenset[str] = frozenset()

    async def parse(self) -> FormData:
        form = await super().parse()
        await form.close()
        repeated = sorted({key for key in form.keys() if key in self.once and len(form.getlist(key)) > 1})
        if repeated:
            raise InvalidInput(f"{', '.join(repeated)}: sent more than once; send each field once")
        return form


class FormValidator(MultiPartFormDataValidator):
    """Also parses in turns: a 10 MB body arrives faster than it is parsed, and Connexion parses
    it twice (to validate, then for the handler) in loops that would otherwise never let the
    event loop serve another request until they are done."""

    @property
    def _form_parser_cls(self) -> type[MultiPartParser]:
        fields = (self._schema or {}).get("properties") or {}
        return _parser(frozenset(name for name, field in fields.items() if not _many(field)))

    async def _parse(self, stream: AsyncIterator[bytes], scope: Scope) -> Any:
        return await super()._parse(_in_turns(stream), scope)

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        """Connexion's, with the body kept in a spooled file while it is validated rather than in
        a list of messages: sixteen 10 MB uploads arriving together held 160 MB that way until
        their handlers had read them. A body with no `Content-Type` (so no boundary) is a 400."""
        headers = Headers(scope=scope)
        if "content-type" not in headers:
            if self._required or int(headers.get("content-length", 0) or 0):
                raise BadRequestProblem(detail="the body must be multipart/form-data (Content-Type with its boundary)")
            return receive, scope  # an optional body left out
        if not int(headers.get("content-length", 0)):
            return await super().wrap_receive(receive, scope=scope)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOLED_IN_MEMORY)

        async def stream() -> AsyncIterator[bytes]:
            more_body = True
            while more_body:
                message = await receive()
                chunk = message.get("body", b"")
                spool.write(chunk)
                more_body = message.get("more_body", False)
                yield chunk
            yield b""

        try:
            body = await self._parse(stream(), scope=scope)
            self._validate(body)
        except BaseException:
            spool.close()
            raise
        return _replay(spool, receive), scope

    def _validate(self, body: Any) -> None:
        _validate_form(self, body)


class UrlencodedValidator(FormDataValidator):
    """Connexion's, with our messages and the document's own schema of each field (`openapi.forms`)."""

    def _validate(self, body: Any) -> None:
        _validate_form(self, body)


def _validate_form(validator: Any, body: Any) -> None:
    """A form body (either kind) checked by the document's own schema, strictly where asked."""
    if not isinstance(body, dict):
        raise BadRequestProblem(detail="the body must be a form")
    if validator._strict_validation:
        validator._validate_params_strictly(body)
    check_form(validator._schema, body)


def check_form(schema: dict[str, Any], body: dict[str, Any]) -> None:
    """InvalidInput, naming the field, unless `body` satisfies the form schema of the document."""
    validator = RequestValidator(restored(schema), format_checker=FORMATS)
    error = best_match(validator.iter_errors(body))
    if error is not None:
        raise InvalidInput(describe(error))


def _replay(spool: IO[bytes], receive: Receive) -> Receive:
    """The spooled body as `http.request` messages, in turns, then the channel itself."""
    size = spool.tell()
    spool.seek(0)

    async def replay() -> Message:
        if spool.closed:
            return await receive()
        await asyncio.sleep(0)
        chunk = spool.read(REPLAY_CHUNK)
        more_body = spool.tell() < size
        if not more_body:
            spool.close()
        return {"type": "http.request", "body": chunk, "more_body": more_body}

    weakref.finalize(replay, spool.close)  # a body no handler read (a forced answer) is closed too
    return replay


@functools.lru_cache(maxsize=256)
def _parser(once: frozenset[str]) -> type[MultiPartParser]:
    """The parser refusing these fields sent more than once."""
    return type("FieldsOnce", (_ValidationParser,), {"once": once})


def _many(field: Any) -> bool:
    """Whether a form field may be sent more than once: an array (3.1's type list with one too)."""
    field = original(field) if isinstance(field, dict) else {}
    kind = field.get("type")
    return "array" in (kind if isinstance(kind, list) else [kind])


async def _in_turns(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for chunk in stream:
        yield chunk
        await asyncio.sleep(0)


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
    them) sends every field, the blank ones as `name=`. Both the validator and the handler read
    the form through here. A required field sent empty stays, and fails its own rules. A
    parameter or form field whose schema Connexion cannot coerce by (`openapi.coercion`), an
    object query parameter sent `explode: false` (`f=x,a,n,1`), and an object form field (JSON
    text, a multipart part's default for an object) are read here."""

    def resolve_params(self, params: dict[str, Any], _in: str) -> dict[str, Any]:
        resolved: dict[str, Any] = super().resolve_params(params, _in)
        for name, value in resolved.items():
            schema = self.param_schemas.get(name) or {}
            if ORIGINAL in schema:
                resolved[name] = coerce(value, schema[ORIGINAL])
            elif _in == "query" and _unexploded_object(self.param_defns.get(name) or {}, schema) and isinstance(value, str):
                resolved[name] = coerce(_pairs(value), schema)
        return resolved

    def resolve_form(self, form_data: dict[str, Any]) -> dict[str, Any]:
        required = set((self._body_schema or {}).get("required", []))
        for name in [k for k, values in form_data.items() if k not in required and _blank(values)]:
            del form_data[name]
        resolved: dict[str, Any] = super().resolve_form(form_data)
        fields = (self._body_schema or {}).get("properties") or {}
        for name, value in resolved.items():
            if isinstance(fields.get(name), dict) and ORIGINAL in fields[name]:
                resolved[name] = coerce(value, fields[name][ORIGINAL])
            elif isinstance(fields.get(name), dict) and fields[name].get("type") == "object" and isinstance(value, str):
                resolved[name] = _json_object(value)
        return resolved


def _unexploded_object(parameter: dict[str, Any], schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" and parameter.get("style", "form") == "form" and parameter.get("explode") is False


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
