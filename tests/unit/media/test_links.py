"""Media link tokens: what is signed is what verifies, nothing else does, and not for long."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

from pipeline.media.errors import MediaLinkInvalidError
from pipeline.media.links import MediaGrant, MediaLinkSigner

SECRET = SecretStr("unit-test-media-secret-0123456789abcdef")
NOW = 1_760_000_000.0


def signer(now: float = NOW, secret: SecretStr = SECRET) -> MediaLinkSigner:
    return MediaLinkSigner(secret, clock=lambda: now)


def test_a_signed_token_verifies_to_its_tenant_media_and_expiry() -> None:
    token = signer().sign("acme", "1479537139650973", ttl_s=600)
    assert signer(NOW + 599).verify(token) == MediaGrant("acme", "1479537139650973", int(NOW) + 600)
    # URL-safe as it is: no padding, no characters a path segment would need escaped.
    assert all(c.isalnum() or c in "-_." for c in token)


def test_an_expired_token_is_refused() -> None:
    token = signer().sign("acme", "123", ttl_s=60)
    with pytest.raises(MediaLinkInvalidError, match="expired"):
        signer(NOW + 61).verify(token)


def test_a_token_of_another_secret_is_refused() -> None:
    token = signer(secret=SecretStr("another-secret-entirely-0123456789")).sign("acme", "1", 60)
    with pytest.raises(MediaLinkInvalidError, match="signature"):
        signer().verify(token)


def _reencode(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


def test_a_payload_changed_to_another_tenant_or_expiry_is_refused() -> None:
    token = signer().sign("acme", "123", ttl_s=60)
    payload_text, mac = token.split(".")
    payload = base64.urlsafe_b64decode(payload_text + "=" * (-len(payload_text) % 4))
    for forged in (
        payload.replace(b"acme", b"evil"),
        payload.replace(b"123", b"124"),
        payload.replace(str(int(NOW) + 60).encode(), str(int(NOW) + 99_999).encode()),
    ):
        assert forged != payload
        with pytest.raises(MediaLinkInvalidError, match="signature"):
            signer().verify(f"{_reencode(forged)}.{mac}")


def test_a_flipped_mac_byte_is_refused() -> None:
    token = signer().sign("acme", "123", ttl_s=60)
    payload, mac = token.split(".")
    flipped = ("A" if mac[0] != "A" else "B") + mac[1:]
    with pytest.raises(MediaLinkInvalidError):
        signer().verify(f"{payload}.{flipped}")


@pytest.mark.parametrize(
    "token", ["", "nodot", "a.b.c", "!!!.???", "x" * 5000, "abc.", ".abc", "YWJj.YWJj"]
)
def test_malformed_tokens_are_refused_with_the_same_error(token: str) -> None:
    with pytest.raises(MediaLinkInvalidError):
        signer().verify(token)


def test_ids_that_could_blur_fields_cannot_be_signed() -> None:
    with pytest.raises(ValueError, match="separator"):
        signer().sign("acme", "1\x1fevil", ttl_s=60)
    with pytest.raises(ValueError, match="tenant id"):
        signer().sign("", "1", ttl_s=60)


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        MediaLinkSigner(SecretStr(""))


OLD = SecretStr("the-previous-media-secret-0123456789")


def test_during_a_rotation_links_of_the_previous_secret_work_until_its_deadline() -> None:
    old_link = signer(secret=OLD).sign("acme", "1", ttl_s=3600)

    def rotated(now: float) -> MediaLinkSigner:
        return MediaLinkSigner(SECRET, previous=OLD, previous_until=NOW + 600, clock=lambda: now)

    assert rotated(NOW + 599).verify(old_link).media_id == "1"
    with pytest.raises(MediaLinkInvalidError, match="signature"):
        rotated(NOW + 600).verify(old_link)  # the window is over
    new_link = rotated(NOW).sign("acme", "2", ttl_s=3600)
    assert rotated(NOW + 700).verify(new_link).media_id == "2"
    with pytest.raises(MediaLinkInvalidError, match="signature"):
        signer(secret=OLD).verify(new_link)  # new links are signed with the new secret only
