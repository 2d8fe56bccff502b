"""Connexion's bearer scheme, answered by our `Authenticator`: an `sk_live_` key or a JWT becomes
the `token_info` (`sub`, `account`) that handlers receive. It runs inside Connexion's security
layer, after routing, for the operations whose `security` names the `bearer` scheme."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.security import BearerSecurityHandler

from kataven_hub.auth import Authenticator


def bearer_handler(authenticator: Authenticator) -> type[BearerSecurityHandler]:
    """A handler class for Connexion's `security_map`, bound to `authenticator`."""

    def token_info(token: str, request: Any) -> dict[str, str]:
        principal = authenticator.authenticate(token, request.headers.get("X-Account-ID"))
        return {"sub": principal.created_by, "account": principal.account}

    class HubBearer(BearerSecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
            return token_info

    return HubBearer
