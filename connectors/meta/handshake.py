"""Meta's webhook subscription handshake (``GET`` with ``hub.*`` query parameters), framework-free.

Meta sends ``hub.mode=subscribe``, ``hub.verify_token`` and ``hub.challenge`` whenever the
callback URL or verify token is edited; the endpoint must answer 200 with exactly the challenge
as ``text/plain``, or Meta sends no events. The handler passes the query mapping in and turns a
:class:`~connectors.meta.errors.MetaHandshakeError` into a 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Final

from connectors.meta.errors import HandshakeRejection, MetaHandshakeError

MODE_PARAM: Final = "hub.mode"
# A query parameter name, not a credential.
TOKEN_PARAM: Final = "hub.verify_token"  # noqa: S105
CHALLENGE_PARAM: Final = "hub.challenge"
SUBSCRIBE_MODE: Final = "subscribe"


def _token_matches(received: str, verify_tokens: Sequence[str]) -> bool:
    """Constant-time comparison against every configured token, with no early exit.

    Bytes, because ``hmac.compare_digest`` refuses non-ASCII ``str``.
    """
    candidate = received.encode("utf-8")
    matched = False
    for token in verify_tokens:
        matched |= hmac.compare_digest(candidate, token.encode("utf-8"))
    return matched


def verify_handshake(
    params: Mapping[str, str],
    verify_tokens: str | Sequence[str],
    *,
    tenant_id: str | None = None,
) -> str:
    """Return the challenge to echo, or raise why the handshake is refused.

    Checks run in a fixed order (mode, token, challenge), and the token is compared even when
    it is absent, so the time taken says nothing about the configured token.

    Args:
        params: the query parameters (``request.query`` in aiohttp is such a mapping).
        verify_tokens: the tenant's verify token, or several while it is being changed.
        tenant_id: the tenant whose callback is being verified.

    Returns:
        ``hub.challenge`` exactly as received, to be sent back as ``text/plain``.

    Raises:
        MetaHandshakeError: with ``rejection`` set to ``MODE``, ``TOKEN`` or ``CHALLENGE``.
        ValueError: no verify token, or an empty one, is configured.
    """
    tokens = (verify_tokens,) if isinstance(verify_tokens, str) else tuple(verify_tokens)
    if not tokens or not all(tokens):
        # An empty configured token would accept a request that sends an empty token.
        raise ValueError("handshake needs at least one non-empty verify token")
    if params.get(MODE_PARAM) != SUBSCRIBE_MODE:
        raise MetaHandshakeError(HandshakeRejection.MODE, tenant_id=tenant_id)
    received = params.get(TOKEN_PARAM)
    if not _token_matches(received or "", tokens) or not received:
        raise MetaHandshakeError(HandshakeRejection.TOKEN, tenant_id=tenant_id)
    challenge = params.get(CHALLENGE_PARAM)
    if not challenge:
        raise MetaHandshakeError(HandshakeRejection.CHALLENGE, tenant_id=tenant_id)
    return challenge
