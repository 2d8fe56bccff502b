"""Every auth outcome of contract §1, through the create operation."""

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kataven_hub import auth
from kataven_hub.app import create_app
from kataven_hub.errors import Forbidden, InvalidAccount
from kataven_hub.storage import Stores
from tests.conftest import JWT_SECRET, Hub, make_settings
from tests.helpers import assert_error


def test_a_key_needs_no_account_header(hub: Hub) -> None:
    response = hub.create(hub.key("acme"))
    assert response.status_code == 201
    assert len(hub.rows("acme", "campaigns")) == 1


def test_a_key_with_its_own_account_header_is_fine(hub: Hub) -> None:
    assert hub.create(hub.key("acme"), headers={"X-Account-ID": "acme"}).status_code == 201


def test_a_key_with_another_account_header_is_403(hub: Hub) -> None:
    response = hub.create(hub.key("acme"), headers={"X-Account-ID": "globex"})
    assert_error(response, 403, "API key is for account 'acme', not 'globex'")


def test_accounts_are_isolated_by_file(hub: Hub) -> None:
    hub.create(hub.key("acme"))
    hub.create(hub.key("globex"))
    hub.create(hub.key("globex"))
    assert len(hub.rows("acme", "campaigns")) == 1
    assert len(hub.rows("globex", "campaigns")) == 2
    assert sorted(p.name for p in (hub.settings.data_dir / "accounts").iterdir() if p.suffix == ".db") == [
        "acme.db",
        "globex.db",
    ]


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "No authorization token provided"),
        ("Basic dXNlcjpwYXNz", "No authorization token provided"),
        ("Bearer", "Invalid authorization header"),
        ("Bearer nonsense", "neither an sk_live_ API key nor a JWT"),
        ("Bearer sk_live_acme_" + "0" * 48, "API key is not valid or has been revoked"),
        ("Bearer sk_live_acme", "API key is not valid"),
        ("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "token is not valid"),
    ],
)
def test_missing_or_bad_bearer_is_401(hub: Hub, authorization: str | None, message: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = hub.client.post("/api/v1/campaigns", headers=headers, files={"contacts": ("c.csv", b"x")})
    assert_error(response, 401, message)
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_key_is_401(hub: Hub) -> None:
    stores = Stores(hub.settings.data_dir)
    record, key = auth.create_key(stores.system, hub.settings.pepper, account="acme")
    auth.revoke_key(stores.system, record["id"])
    stores.close()
    assert_error(hub.create(key), 401, "revoked")


def test_a_key_minted_under_another_pepper_is_401(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "a")
    stores = Stores(settings.data_dir)
    _record, key = auth.create_key(stores.system, "another-pepper", account="acme")
    stores.close()
    with create_app(settings).test_client() as client:
        assert_error(Hub(settings, client).create(key), 401, "not valid")


def test_keys_are_stored_only_as_a_peppered_hash(hub: Hub) -> None:
    key = hub.key("acme")
    raw = b"".join(p.read_bytes() for p in hub.settings.data_dir.glob("system.db*"))
    assert key.split("_")[-1].encode() not in raw
    stores = Stores(hub.settings.data_dir)
    with stores.system.read() as db:
        [row] = db["api_keys"].rows
    stores.close()
    assert row["hash"] == auth.hash_key(hub.settings.pepper, key)
    assert key.split("_")[-1] not in str(row)


def test_a_jwt_with_a_granted_account_works_and_records_its_subject(hub: Hub) -> None:
    token = hub.token(sub="ada@example.com", accounts=["acme", "globex"])
    response = hub.create(token, headers={"X-Account-ID": "globex"})
    assert response.status_code == 201
    assert response.json()["created_by"] == "ada@example.com"
    assert len(hub.rows("globex", "campaigns")) == 1


def test_a_jwt_without_account_header_is_400(hub: Hub) -> None:
    assert_error(hub.create(hub.token()), 400, "X-Account-ID header is required with a JWT")


@pytest.mark.parametrize("account", ["Acme", "-acme", "a" * 64, "ac me", ""])
def test_an_invalid_account_name_is_400(hub: Hub, account: str) -> None:
    response = hub.create(hub.token(accounts=[account]), headers={"X-Account-ID": account})
    assert_error(response, 400, "is not a valid name")


def test_an_account_the_token_does_not_grant_is_403(hub: Hub) -> None:
    response = hub.create(hub.token(accounts=["acme"]), headers={"X-Account-ID": "globex"})
    assert_error(response, 403, "token does not grant account 'globex'")


def test_the_reserved_account_is_403(hub: Hub) -> None:
    token = hub.token(accounts=["kataven-admin"])
    assert_error(hub.create(token, headers={"X-Account-ID": "kataven-admin"}), 403, "reserved")
    assert_error(hub.create(hub.key("acme"), headers={"X-Account-ID": "kataven-admin"}), 403, "reserved")


def test_no_key_can_be_minted_for_the_reserved_or_an_invalid_account(hub: Hub) -> None:
    stores = Stores(hub.settings.data_dir)
    with pytest.raises(Forbidden):
        auth.create_key(stores.system, "p", account="kataven-admin")
    with pytest.raises(InvalidAccount):
        auth.create_key(stores.system, "p", account="Not_OK")
    stores.close()


def test_an_expired_jwt_is_401(hub: Hub) -> None:
    token = hub.token(exp=time.time() - 5)
    assert_error(hub.create(token, headers={"X-Account-ID": "acme"}), 401, "token has expired")


def test_a_jwt_without_exp_is_401(hub: Hub) -> None:
    token = jwt.encode({"sub": "x", "accounts": ["acme"]}, JWT_SECRET, algorithm="HS256")
    assert_error(hub.create(token, headers={"X-Account-ID": "acme"}), 401, '"exp"')


def test_a_jwt_signed_with_another_secret_is_401(hub: Hub) -> None:
    token = jwt.encode(
        {"sub": "x", "accounts": ["acme"], "exp": time.time() + 60}, "another-secret-of-a-decent-length!!", "HS256"
    )
    assert_error(hub.create(token, headers={"X-Account-ID": "acme"}), 401, "Signature verification failed")


def test_alg_none_is_refused(hub: Hub) -> None:
    token = jwt.encode({"sub": "x", "accounts": ["acme"], "exp": time.time() + 60}, None, algorithm="none")
    assert_error(hub.create(token, headers={"X-Account-ID": "acme"}), 401, "token is not valid")


def _rsa_pair() -> tuple[bytes, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, public.decode()


def test_rs256_with_a_public_key_file_and_algorithm_pinned(tmp_path: Path) -> None:
    private, public = _rsa_pair()
    (tmp_path / "jwt.pub").write_text(public)
    settings = make_settings(tmp_path / "data", jwt_secret="", jwt_public_key=str(tmp_path / "jwt.pub"))
    claims = {"sub": "rs", "accounts": ["acme"], "exp": time.time() + 60}
    with create_app(settings).test_client() as client:
        hub = Hub(settings, client)
        good = jwt.encode(claims, private, algorithm="RS256")
        assert hub.create(good, headers={"X-Account-ID": "acme"}).json()["created_by"] == "rs"
        # the HS256-signed-with-the-public-key confusion attack must not work
        forged = _hs256(claims, public.encode())
        assert_error(hub.create(forged, headers={"X-Account-ID": "acme"}), 401, "token is not valid")
        other = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
        assert_error(hub.create(other, headers={"X-Account-ID": "acme"}), 401, "token is not valid")


def _hs256(claims: dict[str, object], secret: bytes) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims).encode())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


def test_a_jwt_is_refused_when_none_is_configured(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", jwt_secret="")
    with create_app(settings).test_client() as client:
        hub = Hub(settings, client)
        assert_error(hub.create(hub.token(), headers={"X-Account-ID": "acme"}), 401, "no JWT secret")


def test_audience_and_issuer_are_checked_when_configured(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", jwt_audience="hub", jwt_issuer="https://id.example")
    with create_app(settings).test_client() as client:
        hub = Hub(settings, client)
        ok = hub.token(aud="hub", iss="https://id.example")
        assert hub.create(ok, headers={"X-Account-ID": "acme"}).status_code == 201
        wrong = hub.token(aud="other", iss="https://id.example")
        assert_error(hub.create(wrong, headers={"X-Account-ID": "acme"}), 401, "Audience doesn't match")
