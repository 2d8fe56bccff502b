"""Who may call an operation, for every security scheme type a document can name.

- A scheme marked `x-hub-auth: keys` (ours) is answered by our `Authenticator`: an `sk_live_`
  key or a JWT becomes the `token_info` (`sub`, `account`) that handlers receive.
- A scheme with a verifier of Connexion's (`x-basicInfoFunc`, `x-apikeyInfoFunc`,
  `x-bearerInfoFunc`, `x-tokenInfoFunc` or `x-tokenInfoUrl`, or their environment variables) is
  answered by it, as Connexion does.
- A scheme the document names but does not define (`openapi.served`) is satisfied by nothing:
  a 401 that names it.
- Any other scheme, in dev mode only, lets a request through when the credentials it asks for are
  there (Stoplight Prism's rule): a 401 when they are not. Outside dev mode such a scheme stops the
  start-up, in one line (`unverified`).

Connexion's security layer runs after routing; it combines the schemes of a requirement (AND),
the requirements of an operation (OR) and an empty requirement (`{}`, optional)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connexion.exceptions import OAuthProblem
from connexion.security import (
    NO_VALUE,
    AbstractSecurityHandler,
    ApiKeySecurityHandler,
    BasicSecurityHandler,
    BearerSecurityHandler,
    OAuthSecurityHandler,
)

from kataven_hub.auth import Authenticator
from kataven_hub.openapi import Operation
from kataven_hub.openapi.served import UNDEFINED

OURS = "x-hub-auth"
HTTP_SCHEMES = ("digest", "hoba", "mutual", "negotiate", "ntlm", "vapid", "scram-sha-1", "scram-sha-256", "dpop", "privatetoken", "concealed")
"""The `http` schemes of IANA's registry (and NTLM) besides `basic` and `bearer`: in dev mode
an `Authorization` header of the scheme is let through."""
VERIFIERS = {
    "basic": ("x-basicInfoFunc", "BASICINFO_FUNC"),
    "apiKey": ("x-apikeyInfoFunc", "APIKEYINFO_FUNC"),
    "bearer": ("x-bearerInfoFunc", "BEARERINFO_FUNC"),
    "oauth2": ("x-tokenInfoFunc", "TOKENINFO_FUNC"),
    "openIdConnect": ("x-tokenInfoFunc", "TOKENINFO_FUNC"),
}


def security_map(authenticator: Authenticator, *, dev: bool) -> dict[str, type]:
    """Connexion's `security_map`: a handler class per scheme type, bound to our verifiers."""

    def keys(token: str, request: Any) -> dict[str, str]:
        principal = authenticator.authenticate(token, request.headers.get("X-Account-ID"))
        named = {"key_name": principal.key_name} if principal.key_name else {}  # whom `--record` names the consumer after
        return {"sub": principal.created_by, "account": principal.account, **named}

    def fallback(scheme: dict[str, Any], found: Callable[..., Any] | None) -> Callable[..., Any] | None:
        if scheme.get(OURS):
            return keys
        return found or (_present(scheme) if dev else None)

    def bound(handler: type[AbstractSecurityHandler], lookup: str = "_resolve_func") -> type:
        """`handler` with its verifier lookup (`lookup`) answered by `fallback`."""

        def resolve(self: Any, scheme: dict[str, Any]) -> Callable[..., Any] | None:
            return fallback(scheme, getattr(handler, lookup)(self, scheme))

        return type(f"Hub{handler.__name__}", (handler,), {lookup: resolve})

    class OpenIdConnect(BearerSecurityHandler):  # Connexion has no handler of its own for these
        security_definition_key, environ_key = VERIFIERS["openIdConnect"]

    return {
        "basic": bound(BasicSecurityHandler), "apiKey": bound(ApiKeySecurityHandler),
        "bearer": bound(BearerSecurityHandler), "oauth2": bound(OAuthSecurityHandler, "get_tokeninfo_func"),
        "openIdConnect": bound(OpenIdConnect), UNDEFINED: Undefined,
        **{scheme: bound(_http(scheme)) for scheme in HTTP_SCHEMES},
    }  # fmt: skip


class Undefined(AbstractSecurityHandler):
    """A scheme the document names but does not define (`openapi.served`): a 401 naming it."""

    def get_fn(self, security_scheme: dict[str, Any], required_scopes: Any) -> Callable[..., Any]:
        name = security_scheme.get(UNDEFINED)

        def refuse(_request: Any) -> None:
            raise OAuthProblem(detail=f"the security scheme {name!r} is not defined in the document; no credential satisfies it")

        return refuse


def _verifier(scheme: str) -> tuple[str, str]:
    """Where a verifier of an `http` scheme is named: `x-digestInfoFunc`, `DIGESTINFO_FUNC`."""
    return f"x-{scheme}InfoFunc", f"{scheme.upper().replace('-', '_')}INFO_FUNC"


def _http(scheme: str) -> type[AbstractSecurityHandler]:
    """A handler of `Authorization: <scheme> ...`: its credentials (the rest of the header) are
    given to the verifier; another scheme's header is no credential of it."""

    class Http(AbstractSecurityHandler):
        security_definition_key, environ_key = _verifier(scheme)

        def _get_verify_func(self, function: Callable[..., Any]) -> Callable[..., Any]:
            check = self._generic_check(function, "Provided authorization is not valid")

            def wrapper(request: Any) -> Any:
                kind, credentials = self.get_auth_header_value(request)
                return check(request, credentials) if kind == scheme else NO_VALUE

            return wrapper

    return type(f"Http{scheme.title().replace('-', '')}", (Http,), {})


def _present(scheme: dict[str, Any]) -> Callable[..., Any]:
    """Dev mode's verifier: whatever credential was sent is good, with every scope the scheme has."""
    scopes = sorted({s for flow in (scheme.get("flows") or {}).values() for s in (flow.get("scopes") or {})})

    def accept(*_credentials: Any, **_: Any) -> dict[str, Any]:
        return {"sub": "dev", "scope": scopes}

    return accept


def unverified(operations: list[Operation], schemes: dict[str, Any], environ: Mapping[str, str]) -> list[str]:
    """`name (type)`, then what would verify it, for each scheme the operations use that nothing
    here verifies outside dev mode."""
    used = {name for op in operations for requirement in op.definition.get("security") or [] for name in requirement}
    found = []
    for name in sorted(used):
        scheme = schemes.get(name) or {}
        kind = scheme.get("scheme", "").lower() if scheme.get("type") == "http" else scheme.get("type", "")
        key, variable = VERIFIERS.get(kind) or (_verifier(kind) if kind in HTTP_SCHEMES else ("a verifier", ""))
        if scheme.get(OURS) or scheme.get(UNDEFINED) or scheme.get("x-tokenInfoUrl") or scheme.get(key) or environ.get(variable):
            continue
        found.append(f"{name} ({kind}): give it {key}: package.module.function, or set {variable}")
    return found
