"""The body-size cap: a 413 before a byte of an oversized body is read. It sits inside Connexion's
error handling (so the 413 goes through the one error map) and before Swagger UI, routing and
validation, which would otherwise read, and keep, the whole body first."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kataven_hub.errors import TooLarge


class BodyLimit:
    """TooLarge (413) for a body over `limit` bytes: by `Content-Length` before reading a byte,
    else as soon as the streamed bytes pass the limit. Sits inside Connexion's error handling."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = _content_length(scope)
            if declared is not None and declared > self.limit:
                raise self._too_large()
            receive = self._counting(receive)
        await self.app(scope, receive, send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise self._too_large()
            return message

        return counting_receive

    def _too_large(self) -> TooLarge:
        return TooLarge(f"request body exceeds the limit of {self.limit} bytes")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
