"""Identifiers shaped like the vendors' own, so parsers and logs see realistic values."""

from __future__ import annotations

import base64
import secrets
import uuid


def wamid(wa_id: str, *, outbound: bool) -> str:
    """A WhatsApp message id: ``wamid.`` + base64 of the customer number and a random id.

    Real wamids decode to the same layout: a tagged customer number, a direction byte and 20
    uppercase hex characters.
    """
    number = wa_id.lstrip("+").encode("ascii")
    direction = b"\x11" if outbound else b"\x12"
    raw = (
        b"\x1c\x18"
        + bytes([len(number)])
        + number
        + b"\x15\x02\x00"
        + direction
        + b"\x18\x14"
        + secrets.token_hex(10).upper().encode("ascii")
        + b"\x00"
    )
    return "wamid." + base64.b64encode(raw).decode("ascii")


def media_id() -> str:
    """A Meta media id: 16 digits."""
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def fbtrace_id() -> str:
    """A Graph ``fbtrace_id``: 27 URL-safe characters."""
    return secrets.token_urlsafe(20)[:27]


def context_id() -> str:
    """A Genesys ``contextId`` (a UUID)."""
    return str(uuid.uuid4())


def genesys_message_id() -> str:
    """A Genesys message id: 32 hex characters."""
    return uuid.uuid4().hex
