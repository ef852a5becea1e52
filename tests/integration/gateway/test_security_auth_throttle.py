"""Issue 16, point 5, against a live ``wagen gateway``: failed authentication is throttled per
client address and per API-key prefix (shared in Redis), and the throttling shows in metrics.

The probe sent random API keys and wrong admin tokens and got 401 forever. Here the gateway
allows ``LIMIT`` failures per window; the one reaching it and everything after (valid
credentials included) get 429 with ``Retry-After`` until the window ends. The client address
comes from ``X-Forwarded-For`` only when the TCP peer is a trusted proxy.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.settings import WagenSettings
from tenancy.models import TenantCreate
from tenancy.services import Tenancy
from tests.integration.faults.live_gateway import ACTOR, LiveGateway, running_gateway

LIMIT = 5
WINDOW_S = 4.0
ENV = {
    "WAGEN_TENANCY_AUTH_FAILURE_LIMIT": str(LIMIT),
    "WAGEN_TENANCY_AUTH_FAILURE_WINDOW_S": str(WINDOW_S),
    # The test client connects from 127.0.0.1 as "the load balancer"; 127.0.0.2 is not one.
    "WAGEN_GATEWAY_TRUSTED_PROXIES": "127.0.0.1/32",
}


@dataclass(frozen=True)
class Target:
    """A gateway with tenants ``alpha`` and ``bravo`` and their keys."""

    gateway: LiveGateway
    keys: dict[str, str]


@pytest.fixture
async def target(tenancy: Tenancy, tenancy_settings: WagenSettings) -> AsyncIterator[Target]:
    keys = {}
    for name in ("alpha", "bravo"):
        created = await tenancy.tenants.create(
            TenantCreate(tenant_id=name, name=name, plan=None), ACTOR
        )
        keys[name] = created.api_key.key
    async with running_gateway(tenancy_settings, ENV) as gateway:
        yield Target(gateway, keys)


def random_key() -> str:
    """A well-formed key nobody has, with a fresh prefix."""
    return f"wk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


async def stats(
    target: Target, headers: dict[str, str], source: str = "127.0.0.1"
) -> tuple[int, str | None]:
    """``GET /state/stats`` from ``source``; (status, Retry-After)."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.get(f"{target.gateway.url}/state/stats", headers=headers) as response,
    ):
        return response.status, response.headers.get("Retry-After")


async def scrape(gateway: LiveGateway) -> dict[tuple[str, str], float]:
    """(sample name, scope) -> value of the auth series on the metrics listener."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{gateway.metrics_url}/metrics") as response,
    ):
        text = await response.text()
    return {
        (s.name, s.labels.get("scope", "")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("wagen_auth_")
    }


async def test_random_api_keys_meet_429_until_the_window_ends(target: Target) -> None:
    statuses = [(await stats(target, {"X-API-Key": random_key()}))[0] for _ in range(LIMIT)]
    assert statuses == [401] * (LIMIT - 1) + [429]
    # Blocked before the credential is looked at: the right key waits too.
    status, retry_after = await stats(target, {"X-API-Key": target.keys["alpha"]})
    assert status == 429
    assert retry_after is not None
    assert 1 <= int(retry_after) <= WINDOW_S + 1
    series = await scrape(target.gateway)
    assert series[("wagen_auth_failures_total", "tenant")] == LIMIT
    assert series[("wagen_auth_throttled_total", "tenant")] == 2
    # A request without any credential guesses nothing: a plain 401, not counted.
    assert (await stats(target, {}))[0] == 401
    await asyncio.sleep(WINDOW_S + 0.5)
    # The block lifts with the window.
    assert (await stats(target, {"X-API-Key": target.keys["alpha"]}))[0] == 200
    series = await scrape(target.gateway)
    assert series[("wagen_auth_failures_total", "tenant")] == LIMIT


async def test_wrong_admin_tokens_meet_429(target: Target) -> None:
    url = f"{target.gateway.url}/tenants"
    async with aiohttp.ClientSession() as http:
        statuses = []
        for attempt in range(LIMIT + 1):
            headers = {"Authorization": f"Bearer wrong-admin-token-{attempt}"}
            async with http.get(url, headers=headers) as response:
                statuses.append(response.status)
    assert statuses == [401] * (LIMIT - 1) + [429, 429]
    series = await scrape(target.gateway)
    assert series[("wagen_auth_failures_total", "admin")] == LIMIT
    assert series[("wagen_auth_throttled_total", "admin")] == 2


async def test_one_client_blocked_leaves_the_others_alone(target: Target) -> None:
    mallory = {"X-Forwarded-For": "198.51.100.66"}
    for _ in range(LIMIT):
        await stats(target, {**mallory, "X-API-Key": random_key()})
    assert (await stats(target, {**mallory, "X-API-Key": target.keys["alpha"]}))[0] == 429
    # Another client behind the same load balancer is served.
    ann = {"X-Forwarded-For": "203.0.113.7, 198.51.100.66"}  # the client wrote a lie first
    assert (await stats(target, {**ann, "X-API-Key": target.keys["alpha"]}))[0] == 429
    bob = {"X-Forwarded-For": "198.51.100.66, 203.0.113.8"}  # the balancer appended bob
    assert (await stats(target, {**bob, "X-API-Key": target.keys["alpha"]}))[0] == 200


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(target: Target) -> None:
    # From 127.0.0.2 (not a trusted proxy), each request claims another address: in vain.
    for attempt in range(LIMIT):
        forged = {"X-Forwarded-For": f"192.0.2.{attempt}", "X-API-Key": random_key()}
        await stats(target, forged, source="127.0.0.2")
    fresh = {"X-Forwarded-For": "192.0.2.200", "X-API-Key": target.keys["alpha"]}
    assert (await stats(target, fresh, source="127.0.0.2"))[0] == 429
    # The trusted balancer's own requests are not held up by it.
    assert (await stats(target, {"X-API-Key": target.keys["alpha"]}))[0] == 200


async def test_a_key_prefix_under_attack_is_throttled_from_anywhere(target: Target) -> None:
    prefix = target.keys["alpha"][: len("wk_") + 12]
    for attempt in range(LIMIT):
        guess = f"{prefix}_{secrets.token_urlsafe(32)}"
        headers = {"X-Forwarded-For": f"198.51.100.{attempt}", "X-API-Key": guess}
        assert (await stats(target, headers))[0] == (401 if attempt < LIMIT - 1 else 429)
    # That prefix is held at 429 from a client that never failed, even with the right key...
    elsewhere = {"X-Forwarded-For": "203.0.113.50"}
    assert (await stats(target, {**elsewhere, "X-API-Key": target.keys["alpha"]}))[0] == 429
    # ...while other keys from that client work.
    assert (await stats(target, {**elsewhere, "X-API-Key": target.keys["bravo"]}))[0] == 200
