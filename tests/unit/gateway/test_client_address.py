"""The client address behind trusted proxies: X-Forwarded-For believed only from them."""

from __future__ import annotations

import pytest

from pipeline.gateway.client_address import client_address, parse_networks

BALANCERS = parse_networks("10.0.0.0/8, 192.0.2.1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # No proxy trusted: the peer, whatever it claims.
        ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),
        # The balancer appended the real client; the client's own entries come before.
        ("10.1.2.3", ["6.6.6.6, 198.51.100.7"], "198.51.100.7"),
        # Two trusted hops: the rightmost untrusted entry is the client.
        ("10.1.2.3", ["198.51.100.7, 10.9.9.9"], "198.51.100.7"),
        ("10.1.2.3", ["198.51.100.7", "192.0.2.1"], "198.51.100.7"),  # two headers
        # Every entry trusted: the leftmost trusted hop.
        ("10.1.2.3", ["10.0.0.9"], "10.0.0.9"),
        # No header at all behind a balancer: the balancer.
        ("10.1.2.3", [], "10.1.2.3"),
        # Garbage stops the walk at the last trusted hop: no text ever becomes a key.
        ("10.1.2.3", ["not-an-ip, 198.51.100.7, junk"], "10.1.2.3"),
        ("10.1.2.3", ["198.51.100.7:4711"], "198.51.100.7"),
        ("10.1.2.3", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("10.1.2.3", ["2001:db8::2"], "2001:db8::2"),
    ],
)
def test_the_client_is_the_rightmost_untrusted_hop(
    peer: str, forwarded: list[str], client: str
) -> None:
    assert client_address(peer, forwarded, BALANCERS) == client


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address("10.1.2.3", ["198.51.100.7"], ()) == "10.1.2.3"


def test_a_peer_that_is_no_address_is_kept_as_it_is() -> None:
    assert client_address(None, ["198.51.100.7"], BALANCERS) == "unknown"
    assert client_address("/run/wagen.sock", [], BALANCERS) == "/run/wagen.sock"


def test_bad_networks_are_refused() -> None:
    with pytest.raises(ValueError, match="nope"):
        parse_networks("10.0.0.0/8, nope")
