"""API key format and hashing; JWT verification with a pinned algorithm."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from tenancy.apikeys import KeyHasher, generate_key, key_prefix
from tenancy.bearer import JwtVerifier
from tenancy.errors import AuthenticationError
from tenancy.settings import JwtSettings

SECRET = "unit-test-secret-" + "0123456789abcdef" * 4


def test_keys_are_unique_and_parse_back() -> None:
    keys = {generate_key().text for _ in range(200)}
    assert len(keys) == 200
    key = generate_key()
    assert key_prefix(key.text) == key.prefix
    for bad in ("", "wk_", f"{key.text}x", key.text.replace("wk_", "xx_"), key.text[:-1]):
        assert key_prefix(bad) is None


def test_hash_depends_on_pepper_and_key() -> None:
    one, two = KeyHasher(SecretStr("p1")), KeyHasher(SecretStr("p2"))
    assert one.digest("k") == one.digest("k") != two.digest("k")
    assert one.digest("k") != one.digest("k2")
    assert "p1" not in repr(one)


def _token(claims: dict[str, Any], key: Any = SECRET, algorithm: str = "HS256", **kw: Any) -> str:
    return jwt.encode({"exp": int(time.time()) + 60, **claims}, key, algorithm=algorithm, **kw)


def _hs(**overrides: Any) -> JwtVerifier:
    return JwtVerifier(JwtSettings(secret=SecretStr(SECRET), **overrides))


def test_hs256_claims() -> None:
    claims = _hs().verify(_token({"tenant_id": "acme", "sub": "u1", "roles": ["a", "b"]}))
    assert (claims.tenant_id, claims.subject, claims.roles) == ("acme", "u1", frozenset("ab"))


@pytest.mark.parametrize(
    "token",
    [
        _token({"tenant_id": "acme", "exp": int(time.time()) - 3600}),
        _token({"tenant_id": "acme", "nbf": int(time.time()) + 3600}),
        _token({"tenant_id": "acme"}, key="another-secret-" + "0123456789abcdef" * 4),
        jwt.encode({"tenant_id": "acme"}, SECRET, algorithm="HS256"),  # no exp
        jwt.encode({"tenant_id": "acme", "exp": 9999999999}, "", algorithm="none"),
        _token({"tenant_id": "acme"}, algorithm="HS512"),
        "not-a-token",
    ],
    ids=["expired", "not_yet", "wrong_key", "no_exp", "alg_none", "other_alg", "garbage"],
)
def test_bad_tokens_are_refused(token: str) -> None:
    with pytest.raises(AuthenticationError):
        _hs().verify(token)


def test_issuer_and_audience_are_checked() -> None:
    verifier = _hs(issuer="https://idp", audience="wagen")
    good = _token({"tenant_id": "a", "iss": "https://idp", "aud": "wagen"})
    assert verifier.verify(good).tenant_id == "a"
    for claims in ({"iss": "https://evil", "aud": "wagen"}, {"iss": "https://idp", "aud": "x"}, {}):
        with pytest.raises(AuthenticationError):
            verifier.verify(_token({"tenant_id": "a", **claims}))


def test_disabled_without_a_key() -> None:
    verifier = JwtVerifier(JwtSettings())
    assert not verifier.enabled
    with pytest.raises(AuthenticationError, match="not accepted"):
        verifier.verify(_token({"tenant_id": "a"}))


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_rs256_with_pem_and_jwks_and_no_key_confusion(
    rsa_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    public = rsa_key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "key.pem").write_bytes(pem)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig"}]}))
    by_pem = JwtVerifier(JwtSettings(algorithm="RS256", public_key_file=tmp_path / "key.pem"))
    by_jwks = JwtVerifier(JwtSettings(algorithm="RS256", jwks_file=tmp_path / "jwks.json"))

    token = _token({"tenant_id": "acme"}, key=rsa_key, algorithm="RS256", headers={"kid": "k1"})
    assert by_pem.verify(token).tenant_id == "acme"
    assert by_jwks.verify(token).tenant_id == "acme"
    unknown_kid = _token({"tenant_id": "a"}, key=rsa_key, algorithm="RS256", headers={"kid": "k9"})
    with pytest.raises(AuthenticationError):
        by_jwks.verify(unknown_kid)
    # The algorithm is pinned: an HS256 token is refused by an RS256 verifier.
    forged = jwt.encode(
        {"tenant_id": "acme", "exp": int(time.time()) + 60}, "x" * 32, algorithm="HS256"
    )
    with pytest.raises(AuthenticationError):
        by_pem.verify(forged)
