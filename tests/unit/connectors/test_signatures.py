"""Webhook signatures: known vectors, every refusal reason, rotation, and round-trip properties."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import (
    SIGNATURE_ERRORS,
    SignatureError,
    SignatureFailure,
    SignatureMalformedError,
    SignatureMismatchError,
    SignatureMissingError,
)
from connectors.signatures import (
    GENESYS_SIGNATURE,
    META_SIGNATURE,
    SIGNATURE_HEADER,
    SignatureScheme,
    check_genesys_signature,
    check_meta_signature,
    sign_genesys,
    sign_meta,
    verify_genesys_signature,
    verify_meta_signature,
)
from tests.conftest import REPO_ROOT

REFERENCE = REPO_ROOT.parent / "shared" / "reference"
# genesys-open-messaging.md §4 "Signature check": the test vector, over this file's raw bytes.
GENESYS_VECTOR_BODY = REFERENCE / "genesys" / "examples" / "outbound_webhook_text_ok.json"
GENESYS_VECTOR_SECRET = "my-webhook-secret-0123"
GENESYS_VECTOR_HEADER = "sha256=yEOIQxiTbRSS6BpQBHm+omw3waGhhoF4UNyESYp6UOA="

# RFC 4231 test case 2 (HMAC-SHA256), in Meta's header format.
RFC4231_KEY = "Jefe"
RFC4231_DATA = b"what do ya want for nothing?"
RFC4231_HEX = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

# A Meta-shaped body and secret, signed independently with `openssl dgst -sha256 -hmac`.
META_BODY = (
    b'{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[]}]}'
)
META_SECRET = "meta-app-secret-0123"
META_HEADER = "sha256=b990285260b32745a115e095abdeb65bfeecd0ea6f9529b26e72fe81b6dda863"

BODY = b'{"id":"8c1a","type":"Text","text":"Ol\xc3\xa1 Ana"}'
SECRET = "current-secret-0123456789"
OLD_SECRET = "previous-secret-0123456789"
OTHER_SECRET = "somebody-elses-secret-0123"

SCHEMES = pytest.mark.parametrize(
    "scheme", [META_SIGNATURE, GENESYS_SIGNATURE], ids=["meta", "genesys"]
)


def test_header_name_is_the_one_both_vendors_send() -> None:
    assert SIGNATURE_HEADER == "X-Hub-Signature-256"


def test_meta_rfc4231_vector() -> None:
    assert sign_meta(RFC4231_DATA, RFC4231_KEY) == "sha256=" + RFC4231_HEX
    assert check_meta_signature(RFC4231_DATA, "sha256=" + RFC4231_HEX, RFC4231_KEY) is None


def test_meta_known_body_and_secret_give_known_hex_signature() -> None:
    assert sign_meta(META_BODY, META_SECRET) == META_HEADER
    verify_meta_signature(META_BODY, META_HEADER, [META_SECRET])


def test_genesys_reference_vector_verifies() -> None:
    body = GENESYS_VECTOR_BODY.read_bytes()
    assert check_genesys_signature(body, GENESYS_VECTOR_HEADER, GENESYS_VECTOR_SECRET) is None
    verify_genesys_signature(body, GENESYS_VECTOR_HEADER, [GENESYS_VECTOR_SECRET])
    assert sign_genesys(body, GENESYS_VECTOR_SECRET) == GENESYS_VECTOR_HEADER


def test_genesys_vector_fails_once_the_body_is_reserialised() -> None:
    """Python's json.dumps adds spaces: the check must run on the raw bytes."""
    raw = GENESYS_VECTOR_BODY.read_bytes()
    redumped = json.dumps(json.loads(raw)).encode()
    assert redumped != raw
    failure = check_genesys_signature(redumped, GENESYS_VECTOR_HEADER, GENESYS_VECTOR_SECRET)
    assert failure is SignatureFailure.MISMATCH


def test_meta_signature_is_lowercase_hex_and_genesys_is_base64() -> None:
    meta = sign_meta(BODY, SECRET).removeprefix("sha256=")
    genesys = sign_genesys(BODY, SECRET).removeprefix("sha256=")
    assert len(meta) == 64
    assert meta == meta.lower()
    assert bytes.fromhex(meta) == base64.b64decode(genesys, validate=True)


@SCHEMES
def test_correct_signature_is_accepted(scheme: SignatureScheme) -> None:
    header = scheme.sign(BODY, SECRET)
    assert scheme.check(BODY, header, [SECRET]) is None
    scheme.verify(BODY, header, [SECRET])


@SCHEMES
def test_wrong_secret_is_a_mismatch(scheme: SignatureScheme) -> None:
    header = scheme.sign(BODY, OTHER_SECRET)
    assert scheme.check(BODY, header, [SECRET]) is SignatureFailure.MISMATCH


@SCHEMES
@pytest.mark.parametrize("header", [None, "", "  ", "\t"])
def test_missing_or_empty_header(scheme: SignatureScheme, header: str | None) -> None:
    assert scheme.check(BODY, header, [SECRET]) is SignatureFailure.MISSING


@SCHEMES
@pytest.mark.parametrize("index", [0, 10, len(BODY) - 1])
def test_body_altered_by_one_byte_is_a_mismatch(scheme: SignatureScheme, index: int) -> None:
    header = scheme.sign(BODY, SECRET)
    altered = bytearray(BODY)
    altered[index] ^= 0x01
    assert scheme.check(bytes(altered), header, [SECRET]) is SignatureFailure.MISMATCH


@SCHEMES
def test_appended_or_truncated_body_is_a_mismatch(scheme: SignatureScheme) -> None:
    header = scheme.sign(BODY, SECRET)
    assert scheme.check(BODY + b"\n", header, [SECRET]) is SignatureFailure.MISMATCH
    assert scheme.check(BODY[:-1], header, [SECRET]) is SignatureFailure.MISMATCH


@SCHEMES
@pytest.mark.parametrize(
    "rewrite",
    [
        lambda h: h.removeprefix("sha256="),  # bare digest
        lambda h: "SHA256=" + h.removeprefix("sha256="),  # prefix case
        lambda h: "sha1=" + h.removeprefix("sha256="),  # legacy X-Hub-Signature scheme
        lambda h: "sha256:" + h.removeprefix("sha256="),
        lambda h: "sha256= " + h.removeprefix("sha256="),
        lambda h: "sha256=" + h,  # doubled prefix
        lambda h: h + "x",
        lambda h: h[:-2],  # truncated digest
        lambda h: h[:20] + "\n" + h[20:],
        lambda h: "sha256=",
    ],
    ids=[
        "bare",
        "upper-prefix",
        "sha1",
        "colon",
        "space",
        "double-prefix",
        "trailing-garbage",
        "truncated",
        "newline",
        "prefix-only",
    ],
)
def test_wrong_prefix_or_shape_is_malformed(
    scheme: SignatureScheme, rewrite: Callable[[str], str]
) -> None:
    header = rewrite(scheme.sign(BODY, SECRET))
    assert scheme.check(BODY, header, [SECRET]) is SignatureFailure.MALFORMED


@SCHEMES
def test_surrounding_header_whitespace_is_not_part_of_the_value(scheme: SignatureScheme) -> None:
    header = scheme.sign(BODY, SECRET)
    assert scheme.check(BODY, f" {header}\t", [SECRET]) is None


def test_hex_where_base64_is_due_is_malformed() -> None:
    meta_header = sign_meta(BODY, SECRET)
    assert check_genesys_signature(BODY, meta_header, SECRET) is SignatureFailure.MALFORMED


def test_base64_where_hex_is_due_is_malformed() -> None:
    genesys_header = sign_genesys(BODY, SECRET)
    assert check_meta_signature(BODY, genesys_header, SECRET) is SignatureFailure.MALFORMED


def test_meta_uppercase_hex_is_malformed() -> None:
    """Meta writes lowercase hex; its reference check compares strings, so uppercase fails."""
    digest = sign_meta(BODY, SECRET).removeprefix("sha256=")
    assert check_meta_signature(BODY, "sha256=" + digest.upper(), SECRET) is (
        SignatureFailure.MALFORMED
    )


def test_genesys_base64_variants_are_malformed() -> None:
    digest = sign_genesys(BODY, SECRET).removeprefix("sha256=")
    raw = base64.b64decode(digest)
    unpadded = digest.rstrip("=")
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    # The 43rd character carries two unused bits; setting one keeps the decoded bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(digest[42])
    non_canonical = digest[:42] + alphabet[last | 1] + "="
    assert base64.b64decode(non_canonical) == raw
    variants = [unpadded, digest.swapcase(), non_canonical]
    if urlsafe != digest:
        variants.append(urlsafe)
    for variant in variants:
        assert check_genesys_signature(BODY, "sha256=" + variant, SECRET) is (
            SignatureFailure.MALFORMED
        ), variant


@pytest.mark.parametrize(
    "digest",
    ["-_" * 21 + "A=", "A" * 44, "+" * 43 + "=", "A" * 42 + "==", "A" * 44 + "="],
    ids=["urlsafe-alphabet", "no-padding", "non-canonical", "short", "long"],
)
def test_genesys_non_base64_or_wrong_length_is_malformed(digest: str) -> None:
    assert check_genesys_signature(BODY, "sha256=" + digest, SECRET) is (SignatureFailure.MALFORMED)


@SCHEMES
def test_rotation_accepts_old_and_new_rejects_a_third(scheme: SignatureScheme) -> None:
    secrets = [OLD_SECRET, SECRET]
    assert scheme.check(BODY, scheme.sign(BODY, OLD_SECRET), secrets) is None
    assert scheme.check(BODY, scheme.sign(BODY, SECRET), secrets) is None
    assert scheme.check(BODY, scheme.sign(BODY, SECRET), list(reversed(secrets))) is None
    assert scheme.check(BODY, scheme.sign(BODY, OTHER_SECRET), secrets) is (
        SignatureFailure.MISMATCH
    )


@SCHEMES
def test_a_single_str_secret_is_one_secret_not_its_characters(scheme: SignatureScheme) -> None:
    header = scheme.sign(BODY, "a")
    assert scheme.check(BODY, header, "ab") is SignatureFailure.MISMATCH
    assert scheme.check(BODY, header, "a") is None


@SCHEMES
def test_str_secret_is_utf8_like_bytes(scheme: SignatureScheme) -> None:
    secret = "sécret-ünïcode-0123"
    header = scheme.sign(BODY, secret)
    assert header == scheme.sign(BODY, secret.encode("utf-8"))
    assert scheme.check(BODY, header, [secret.encode("utf-8")]) is None


@SCHEMES
@pytest.mark.parametrize("secrets", [[], "", [SECRET, ""], b""], ids=["none", "empty", "one", "b"])
def test_no_usable_secret_is_a_configuration_error(
    scheme: SignatureScheme, secrets: str | bytes | list[str]
) -> None:
    with pytest.raises(ValueError, match="non-empty secret"):
        scheme.check(BODY, scheme.sign(BODY, SECRET), secrets)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, SignatureMissingError),
        ("sha256=zz", SignatureMalformedError),
        (sign_meta(BODY, OTHER_SECRET), SignatureMismatchError),
    ],
)
def test_verify_raises_the_typed_error_without_secrets(
    header: str | None, expected: type[SignatureError]
) -> None:
    with pytest.raises(expected) as caught:
        verify_meta_signature(BODY, header, [SECRET], tenant_id="acme")
    error = caught.value
    assert error.vendor == "meta"
    assert error.tenant_id == "acme"
    assert error.failure is SIGNATURE_ERRORS[error.failure].failure
    assert not error.retriable
    for secret_like in (SECRET, OTHER_SECRET, header or "<none>"):
        assert secret_like not in str(error)


def test_verify_genesys_names_the_vendor() -> None:
    with pytest.raises(SignatureMismatchError, match="genesys webhook signature mismatch"):
        verify_genesys_signature(BODY, sign_genesys(BODY, OTHER_SECRET), SECRET)


def test_every_failure_has_its_error_class() -> None:
    assert set(SIGNATURE_ERRORS) == set(SignatureFailure)
    for failure, error_class in SIGNATURE_ERRORS.items():
        assert error_class.failure is failure
        assert issubclass(error_class, SignatureError)
    assert len({cls.code for cls in SIGNATURE_ERRORS.values()}) == len(SIGNATURE_ERRORS)


# --- properties ---------------------------------------------------------------------------

bodies = st.binary(max_size=2048)
secrets = st.one_of(st.text(min_size=1, max_size=64), st.binary(min_size=1, max_size=64))


@SCHEMES
@settings(database=None, max_examples=200)
@given(body=bodies, secret=secrets)
def test_sign_then_verify_round_trips(
    scheme: SignatureScheme, body: bytes, secret: str | bytes
) -> None:
    assert scheme.check(body, scheme.sign(body, secret), [secret]) is None


@SCHEMES
@settings(database=None, max_examples=200)
@given(body=bodies.filter(bool), secret=secrets, data=st.data())
def test_any_single_byte_change_fails(
    scheme: SignatureScheme, body: bytes, secret: str | bytes, data: st.DataObject
) -> None:
    header = scheme.sign(body, secret)
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="index")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != body[index]), label="byte")
    altered = body[:index] + bytes([value]) + body[index + 1 :]
    assert scheme.check(altered, header, [secret]) is SignatureFailure.MISMATCH


@SCHEMES
@settings(database=None, max_examples=300)
@given(
    header=st.one_of(st.none(), st.text(max_size=80), st.text(max_size=60).map("sha256=".__add__))
)
def test_any_header_gives_a_verdict_never_an_exception(
    scheme: SignatureScheme, header: str | None
) -> None:
    assert scheme.check(BODY, header, [SECRET]) in set(SignatureFailure)
