"""Signed, expiring media links: the token in ``GET /media/{token}`` is the authorization.

Genesys fetches an attachment from the URL we give it, without credentials of ours, so the
URL itself must prove it was issued by wagen, for one tenant's one file, until a deadline.
A token is ``<payload>.<mac>``, both base64url without padding:

* payload: ``v1``, the tenant id, the media id and the expiry (unix seconds), joined by
  ASCII unit separators (which no id can contain, so fields never blur);
* mac: HMAC-SHA256 of the payload under a key derived from the server secret for this one
  purpose, so the same secret used elsewhere by mistake still signs nothing else.

Verification checks the MAC first (in constant time) and only then reads the payload, so an
attacker learns nothing from crafted payloads; every refusal is the same
:class:`MediaLinkInvalidError`, whatever the reason, and the route answers them all alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from pydantic import SecretStr

from pipeline.media.errors import MediaLinkInvalidError

_VERSION: Final = "v1"
_SEPARATOR: Final = "\x1f"
_PURPOSE: Final = b"wagen media link v1"
_MAX_TOKEN_CHARS: Final = 1024


@dataclass(frozen=True, slots=True)
class MediaGrant:
    """What a valid token allows: reading one tenant's one media file until ``expires_at``.

    Attributes:
        tenant_id: the tenant whose store row may be read.
        media_id: the WhatsApp media id the row is keyed by.
        expires_at: unix seconds after which the token is refused.
    """

    tenant_id: str
    media_id: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(secret: SecretStr) -> bytes:
    raw = secret.get_secret_value().encode()
    if not raw:
        raise ValueError("the media link secret is empty")
    return hmac.new(raw, _PURPOSE, hashlib.sha256).digest()


class MediaLinkSigner:
    """Issues media link tokens with the server secret; checks them with it, and during a
    rotation also with the previous secret until ``previous_until`` (unix seconds), so links
    given to Genesys before the change keep working."""

    def __init__(
        self,
        secret: SecretStr,
        *,
        previous: SecretStr | None = None,
        previous_until: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = _derive(secret)
        self._previous = _derive(previous) if previous is not None else None
        self._previous_until = previous_until or 0.0
        self._clock = clock

    def _mac(self, payload: bytes, key: bytes | None = None) -> bytes:
        return hmac.new(key or self._key, payload, hashlib.sha256).digest()

    def _signed(self, payload: bytes, mac: bytes) -> bool:
        matched = hmac.compare_digest(mac, self._mac(payload))
        if self._previous is not None and self._clock() < self._previous_until:
            # Both compared, no early exit: the time taken does not tell which matched.
            matched |= hmac.compare_digest(mac, self._mac(payload, self._previous))
        return matched

    def sign(self, tenant_id: str, media_id: str, ttl_s: float) -> str:
        """A token granting ``media_id`` of ``tenant_id`` for ``ttl_s`` seconds from now."""
        if not tenant_id or not media_id:
            raise ValueError("a media link needs a tenant id and a media id")
        if _SEPARATOR in tenant_id or _SEPARATOR in media_id:
            raise ValueError("ids must not contain the unit separator")
        expires = int(self._clock() + ttl_s)
        payload = _SEPARATOR.join((_VERSION, tenant_id, media_id, str(expires))).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def verify(self, token: str) -> MediaGrant:
        """The grant of a token issued by :meth:`sign` and not yet expired.

        Raises:
            MediaLinkInvalidError: malformed, signed with another secret, altered or expired
                (one error for all, so a caller cannot tell them apart).
        """
        if len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
            raise MediaLinkInvalidError("malformed media link")
        payload_text, mac_text = token.split(".")
        try:
            payload, mac = _unb64(payload_text), _unb64(mac_text)
        except (binascii.Error, ValueError) as exc:
            raise MediaLinkInvalidError("malformed media link") from exc
        if not self._signed(payload, mac):
            raise MediaLinkInvalidError("media link signature does not match")
        fields = payload.decode("utf-8", errors="replace").split(_SEPARATOR)
        if len(fields) != 4 or fields[0] != _VERSION or not fields[3].isdigit():
            raise MediaLinkInvalidError("unknown media link format")
        _, tenant_id, media_id, expires_text = fields
        expires = int(expires_text)
        if expires < self._clock():
            raise MediaLinkInvalidError("media link expired")
        return MediaGrant(tenant_id=tenant_id, media_id=media_id, expires_at=expires)
