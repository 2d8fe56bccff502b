"""The response body validator: OpenAPI's integer formats and `writeOnly` checked in answers, and
no body looked for in an answer HTTP gives none (204, 304), whatever content the document lists."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from connexion.validators import JSONResponseBodyValidator
from jsonschema import Draft202012Validator
from starlette.types import Send

from kataven_hub.schemas.dialect import FORMATS, AnswerValidator

BODILESS = frozenset({204, 304})
"""Statuses whose answers carry no body (RFC 9110), so a documented schema is not checked."""


class JSONAnswerValidator(JSONResponseBodyValidator):
    @property
    def validator(self) -> Draft202012Validator:
        return AnswerValidator(self._schema, format_checker=FORMATS)

    def wrap_send(self, send: Send) -> Send:
        checked = super().wrap_send(send)
        bodiless = False

        async def send_(message: MutableMapping[str, Any]) -> None:
            nonlocal bodiless
            if message["type"] == "http.response.start":
                bodiless = message.get("status") in BODILESS
            await (send if bodiless else checked)(message)

        return send_
