"""Form bodies (multipart and urlencoded) as Connexion validates them, and the one way a broken
rule is described (`describe`, for parameters and JSON bodies too): a field the form declares
once refused when sent again, a multipart body spooled to a file while it is checked and parsed
in turns, each field checked by the document's own schema (`openapi.forms`)."""

from __future__ import annotations

import asyncio
import functools
import tempfile
import weakref
from collections.abc import AsyncIterator
from typing import IO, Any

from connexion.exceptions import BadRequestProblem
from connexion.validators import FormDataValidator, MultiPartFormDataValidator
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from starlette.datastructures import FormData, Headers
from starlette.formparsers import MultiPartParser
from starlette.types import Message, Receive, Scope

from kataven_hub.errors import InvalidInput
from kataven_hub.openapi.coercion import original
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
    """Connexion's, with our messages and the document's own schema of each field (`openapi.forms`);
    an optional body left out is not checked (Connexion checks it as an empty form, which a
    `required` field of the schema refuses)."""

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        if not self._required and not int(Headers(scope=scope).get("content-length", 0) or 0) and "default" not in self._schema:
            return receive, scope
        return await super().wrap_receive(receive, scope=scope)

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
