"""Who the client is, for the failed-authentication throttle: the TCP peer, or behind a load
balancer the address the trusted proxies vouch for in ``X-Forwarded-For``.

``X-Forwarded-For`` is written by the client first and appended to by each proxy, so only the
entries added by proxies we trust are facts: the client is the rightmost entry that is not
itself a trusted proxy (``WAGEN_GATEWAY_TRUSTED_PROXIES``). A peer that is not trusted is the
client, whatever header it sends; an entry that is not an IP address stops the walk (the last
trusted hop is then the client), so no forged text ever becomes a throttle key.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from tenancy.http.context import CLIENT_ADDRESS_KEY

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """``10.0.0.0/8, 192.0.2.7`` as networks (a bare address is a /32 or /128).

    Raises:
        ValueError: an entry is neither an address nor a network.
    """
    return tuple(
        ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip()
    )


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(peer: str | None, forwarded: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address given the TCP ``peer`` and every ``X-Forwarded-For`` header."""
    if not trusted:
        return peer or "unknown"  # the usual case, on every request: nothing to parse
    hop = _ip(peer or "")
    if hop is None:
        return peer or "unknown"
    if not any(hop in net for net in trusted):
        return str(hop)
    entries = [e for header in forwarded for e in header.split(",")]
    for entry in reversed(entries):
        address = _ip(entry)
        if address is None:
            break
        hop = address
        if not any(hop in net for net in trusted):
            break
    return str(hop)


def client_address_middleware(trusted: Sequence[Network]) -> Middleware:
    """A middleware that records each request's client address for the routes."""

    @web.middleware
    async def record_client_address(request: web.Request, handler: Handler) -> web.StreamResponse:
        forwarded = request.headers.getall(hdrs.X_FORWARDED_FOR, []) if trusted else []
        request[CLIENT_ADDRESS_KEY] = client_address(request.remote, forwarded, trusted)
        return await handler(request)

    return record_client_address
