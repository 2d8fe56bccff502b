"""The baseline of target 4: a bare Connexion app over the same spec, with the same validators,
strict validation and bearer scheme, whose create handler reads the upload and answers a canned
campaign. Everything our create does beyond that is what target 4 measures.

    uvicorn bench.bare:app
"""

from __future__ import annotations

from typing import Any

from connexion import AsyncApp
from connexion.resolver import Resolver
from connexion.security import BearerSecurityHandler

from kataven_hub.openapi.validation import VALIDATORS
from kataven_hub.settings import DEFAULT_SPEC as SPEC

CANNED = {
    "id": "0b6f5a4e-2f7d-4c1a-9e53-7d2c8a1b9f10", "name": "bare", "status": "draft",
    "agent_id": "3f1c2b9e-8d4a-4f6e-9b7a-2c5d8e1f0a34", "phone_number_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "max_concurrent_calls": 5, "retries_per_contact": 0, "retry_delay_seconds": 300,
    "created_at": "2026-11-27T10:15:00.000Z", "created_by": "bare", "contacts_total": 10,
}  # fmt: skip


async def accept(body: dict[str, Any], contacts: Any = None, **_: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
    if contacts is not None:
        await contacts.read()
        await contacts.close()
    # JSON named, as kataven_hub.openapi.routing does for our handlers: the spec's 429 is text/plain
    return CANNED, 201, {"Location": f"/api/v1/campaigns/{CANNED['id']}", "Content-Type": "application/json"}


class AnyBearer(BearerSecurityHandler):
    def _resolve_func(self, security_scheme: dict[str, Any]) -> Any:
        return lambda token: {"sub": "bare", "account": "bare"}


app = AsyncApp(__name__, security_map={"bearer": AnyBearer}, validator_map=VALIDATORS)
app.add_api(SPEC, base_path="", resolver=Resolver(function_resolver=lambda _op: accept), strict_validation=True)
