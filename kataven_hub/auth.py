"""Auth: `sk_live_` API keys (stored as HMAC-SHA256 with a pepper) and JWTs, resolved to an account."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
from typing import Any

from kataven_hub import clock
from kataven_hub.errors import Forbidden, InvalidAccount, NotFound, Unauthenticated
from kataven_hub.settings import Settings
from kataven_hub.storage import Database

ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
RESERVED_ACCOUNT = "kataven-admin"
KEY_PREFIX = "sk_live_"
_KEY_SHAPE = re.compile(rf"{KEY_PREFIX}(?P<account>{ACCOUNT_NAME.pattern})_(?P<secret>[0-9a-f]{{48}})")


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is calling: the account the request works on, and the `created_by` it leaves."""

    account: str
    created_by: str
    key_name: str = ""
    """The name given to the API key it called with (`hub keys create --name`), if any."""


def check_account_name(name: str) -> str:
    """The name, if it may be used as an account; InvalidAccount or Forbidden otherwise."""
    if not ACCOUNT_NAME.fullmatch(name):
        raise InvalidAccount(
            f"account {name!r} is not a valid name (^{ACCOUNT_NAME.pattern}$)"
        )
    if name == RESERVED_ACCOUNT:
        raise Forbidden(f"account {RESERVED_ACCOUNT!r} is reserved")
    return name


def hash_key(pepper: str, key: str) -> str:
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()


def create_key(system: Database, pepper: str, *, account: str, name: str = "") -> tuple[dict[str, Any], str]:
    """Mint a key for an account: its stored record, and the plaintext (shown once, never stored)."""
    check_account_name(account)
    secret = secrets.token_hex(24)
    plaintext = f"{KEY_PREFIX}{account}_{secret}"
    record = {
        "id": f"key_{secrets.token_hex(6)}",
        "account": account,
        "name": name,
        "hint": secret[-4:],
        "created_at": clock.iso(clock.now()),
    }
    with system.write() as conn:
        conn.insert_key({**record, "hash": hash_key(pepper, plaintext)})
    return record, plaintext


def revoke_key(system: Database, key_id: str) -> None:
    """Revoke a key by id; NotFound if there is no such live key."""
    with system.write() as conn:
        if not conn.revoke_key(key_id, clock.iso(clock.now())):
            raise NotFound(f"no live key {key_id!r}")


class Authenticator:
    """Turns a bearer token and the X-Account-ID header into a Principal, or a domain error."""

    def __init__(self, settings: Settings, system: Database) -> None:
        self._settings = settings
        self._system = system

    def authenticate(self, token: str, account_header: str | None) -> Principal:
        if token.startswith(KEY_PREFIX):
            return self._from_key(token, account_header)
        if token.startswith("eyJ"):
            return self._from_jwt(token, account_header)
        raise Unauthenticated("bearer token is neither an sk_live_ API key nor a JWT")

    def _from_key(self, token: str, account_header: str | None) -> Principal:
        shape = _KEY_SHAPE.fullmatch(token)
        record = None
        if shape:
            with self._system.read() as conn:
                record = conn.find_key(hash_key(self._settings.pepper, token))
        if not record or record["revoked_at"]:
            raise Unauthenticated("API key is not valid or has been revoked")
        account = check_account_name(record["account"])
        if account_header is not None and check_account_name(account_header) != account:
            raise Forbidden(f"API key is for account {account!r}, not {account_header!r}")
        return Principal(account=account, created_by=record["id"], key_name=record.get("name") or "")

    def _from_jwt(self, token: str, account_header: str | None) -> Principal:
        claims = self._verify_jwt(token)
        if account_header is None:
            raise InvalidAccount("X-Account-ID header is required with a JWT")
        account = check_account_name(account_header)
        granted = claims.get(self._settings.jwt_accounts_claim)
        if not isinstance(granted, list) or account not in granted:
            raise Forbidden(f"token does not grant account {account!r}")
        return Principal(account=account, created_by=str(claims["sub"]))

    def _verify_jwt(self, token: str) -> dict[str, Any]:
        import jwt  # noqa: PLC0415 - on the first token: PyJWT brings cryptography, a tenth of a second of every start

        s = self._settings
        if s.jwt_secret:
            key, algorithm = s.jwt_secret, "HS256"
        elif s.jwt_public_key:
            key, algorithm = s.jwt_public_key, "RS256"
        else:
            raise Unauthenticated("JWTs are not accepted: no JWT secret or public key is configured")
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=s.jwt_audience or None,
                issuer=s.jwt_issuer or None,
                options={"require": ["exp", "sub"], "verify_aud": bool(s.jwt_audience)},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token has expired") from None
        except jwt.InvalidTokenError as err:
            raise Unauthenticated(f"token is not valid: {err}") from None
