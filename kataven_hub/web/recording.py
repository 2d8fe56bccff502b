"""`hub serve --record DIR`: what each consumer uses of the document, recorded from its traffic
(`consumers.record`) into `DIR/<consumer>.json` (`consumers.files`) and, in dev mode, into the
memory of each account recording on the control surface (`consumers.accounts`). The consumer is
named by its `X-Hub-Consumer` header, else by its API key's name, else `default`; the account is
the one the request's credential proves (an API key of ours). It sits outside the exception
layer, so it sees every answer as sent, and reads the operation that routing, inside, put in the
scope. Recording never fails a request: a fault is logged once and the request goes on."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import anyio.to_thread
from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kataven_hub.auth import KEY_PREFIX, Authenticator
from kataven_hub.consumers.accounts import AccountRecordings
from kataven_hub.consumers.contract import Contract, empty, union
from kataven_hub.consumers.files import DEFAULT, ContractFiles, consumer_name
from kataven_hub.consumers.record import Exchange, credentials, key, use
from kataven_hub.errors import HubError
from kataven_hub.openapi import Operation

CONSUMER_HEADER = "x-hub-consumer"
BODY_KEPT = 256 * 1024
"""The bytes of a body read for its fields; a longer body is recorded without them."""
log = logging.getLogger(__name__)


class Recording:
    def __init__(self, app: ASGIApp, directory: Path | None, operations: list[Operation], document: dict[str, Any],
                 accounts: AccountRecordings | None = None, authenticator: Authenticator | None = None) -> None:  # fmt: skip
        self.app = app
        self.files = ContractFiles(directory) if directory is not None else None
        self.accounts = accounts or AccountRecordings()
        self.authenticator = authenticator
        self.operations = {op.operation_id: op for op in operations}
        self.hidden = credentials(document)
        self.known: dict[str, Contract] = {}
        """What each consumer is known to use (what this process saw, with its file as last read)."""
        self._failed = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.files is None and not self.accounts.any_on()):
            await self.app(scope, receive, send)
            return
        seen = _Seen()
        scope.setdefault("extensions", {})  # routing, inside, works on a copy of the scope: this dict is shared

        async def sending(message: Message) -> None:
            seen.saw(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                await self._recorded(scope, seen)  # before the answer ends: a client that has it finds the file written
            await send(message)

        await self.app(scope, seen.receiving(receive), sending)

    async def _recorded(self, scope: Scope, seen: _Seen) -> None:
        try:
            await self._record(scope, seen)
        except Exception as err:  # a disk full, a bad file: say it once, answer as if nothing happened
            if not self._failed:
                self._failed = True
                log.warning("--record: a use could not be recorded (%s: %s); requests go on", type(err).__name__, str(err)[:200])

    async def _record(self, scope: Scope, seen: _Seen) -> None:
        routed = scope.get("extensions", {}).get(ROUTING_CONTEXT, {})
        operation = self.operations.get(routed.get("operation_id"))
        if operation is None or routed.get("api_base_path") or seen.status is None:  # the control surface's: not the document's
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        exchange = Exchange(
            path=scope.get("path", ""), query=scope.get("query_string", b""),
            headers=headers, request_body=seen.body(seen.request), status=seen.status, answer_type=seen.answer_type,
            answer_body=seen.body(seen.answer),
        )  # fmt: skip
        consumer = consumer_name(headers.get(CONSUMER_HEADER) or _key_name(scope) or DEFAULT)
        new = {"consumer": consumer, "operations": {key(operation): use(operation, exchange, self.hidden)}}
        if self.accounts.any_on() and (account := await self._account(scope, headers)):
            self.accounts.add(account, new)
        if self.files is not None:
            await self._saved(consumer, new)

    async def _saved(self, consumer: str, new: Contract) -> None:
        assert self.files is not None
        known = self.known.get(consumer, empty(consumer))
        merged = union(known, new)
        if merged == known:
            return
        self.known[consumer] = merged
        self.known[consumer] = await anyio.to_thread.run_sync(self.files.save, copy.deepcopy(merged))


    async def _account(self, scope: Scope, headers: dict[str, str]) -> str:
        """The account the request's credential proves: its security layer's, else (a document whose
        schemes are not ours) an API key of ours sent as a bearer token; "" if none."""
        token_info = scope.get("extensions", {}).get("connexion_context", {}).get("token_info")
        if isinstance(token_info, dict) and token_info.get("account"):
            return str(token_info["account"])
        kind, _, token = headers.get("authorization", "").partition(" ")
        if self.authenticator is None or kind.lower() != "bearer" or not token.startswith(KEY_PREFIX):
            return ""
        try:
            principal = await anyio.to_thread.run_sync(self.authenticator.authenticate, token.strip(), None)
        except HubError:
            return ""
        return principal.account


def _key_name(scope: Scope) -> str:
    """The name of the API key the request was made with, where the security layer found one."""
    token_info = scope.get("extensions", {}).get("connexion_context", {}).get("token_info")
    return str(token_info.get("key_name") or "") if isinstance(token_info, dict) else ""


class _Seen:
    """The bodies and the status of one exchange, as they pass (each body up to BODY_KEPT bytes)."""

    def __init__(self) -> None:
        self.request: list[bytes] = []
        self.answer: list[bytes] = []
        self.status: int | None = None
        self.answer_type = ""

    def receiving(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                _keep(self.request, message.get("body", b""))
            return message

        return wrapped

    def saw(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.answer_type = next((v.decode("latin-1") for k, v in message.get("headers", []) if k.lower() == b"content-type"), "")
        elif message["type"] == "http.response.body" and "event-stream" not in self.answer_type:
            _keep(self.answer, message.get("body", b""))

    @staticmethod
    def body(chunks: list[bytes]) -> bytes | None:
        return None if chunks and chunks[-1] is _OVER else b"".join(chunks)


_OVER = b"\0over"


def _keep(chunks: list[bytes], body: bytes) -> None:
    """Add a chunk, or mark the body as over its bound (its fields are then not read)."""
    if chunks and chunks[-1] is _OVER:
        return
    if sum(map(len, chunks)) + len(body) > BODY_KEPT:
        chunks[:] = [_OVER]
    elif body:
        chunks.append(body)
