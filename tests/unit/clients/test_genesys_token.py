"""The Genesys token cache against the simulator's token endpoint (counted there)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from connectors.errors import ErrorCategory
from connectors.genesys.client import GenesysClient
from connectors.genesys.errors import GenesysCredentialsError, GenesysRateLimitedError
from connectors.genesys.token import GenesysTokenCache
from connectors.http import HttpTransport
from schemas.genesys import (
    OpenInboundMessageMessagingChannel,
    OpenInboundNormalizedMessage,
    OpenMessagingFromRecipient,
)
from tests.unit.clients.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    GenesysSim,
    genesys_settings,
    genesys_tenant,
)
from tests.unit.fake_clock import FakeClock


def message() -> OpenInboundNormalizedMessage:
    return OpenInboundNormalizedMessage(
        channel=OpenInboundMessageMessagingChannel(
            from_=OpenMessagingFromRecipient(id="+5511987654321", id_type="Phone"),
            time=datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC),
            message_id="wamid.AAA",
        ),
        text="Hi, my order did not arrive",
    )


async def issued(sim: GenesysSim) -> int:
    counts: dict[str, int] = (await sim.inspect("tokens"))["issued"]
    return counts.get(CLIENT_ID, 0)


async def test_100_concurrent_callers_make_one_token_request(
    transport: HttpTransport, genesys_sim: GenesysSim
) -> None:
    cache = GenesysTokenCache(transport, genesys_settings(genesys_sim))
    tenant = genesys_tenant(genesys_sim)
    tokens = await asyncio.gather(*(cache.token(tenant) for _ in range(100)))
    assert len(set(tokens)) == 1
    assert await issued(genesys_sim) == 1
    assert len(await genesys_sim.inspect("requests", operation="token")) == 1


async def test_100_concurrent_messages_share_one_token(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    tenant = genesys_tenant(genesys_sim)
    await asyncio.gather(*(genesys_client.send_message(tenant, message()) for _ in range(100)))
    assert await issued(genesys_sim) == 1
    assert len(genesys_sim.sandbox.received) == 100


async def test_a_token_near_expiry_is_refreshed_early(
    transport: HttpTransport, genesys_sim: GenesysSim
) -> None:
    clock = FakeClock(1000.0)
    settings = genesys_settings(genesys_sim, token_refresh_margin_s=60)
    cache = GenesysTokenCache(transport, settings, clock=clock)
    tenant = genesys_tenant(genesys_sim)
    first = await cache.token(tenant)
    clock.now += 3600 - 61  # the simulator's tokens live 3600 s: still outside the margin
    assert await cache.token(tenant) == first
    assert await issued(genesys_sim) == 1
    clock.now += 2  # now inside the last minute, though not yet expired
    second = await cache.token(tenant)
    assert second != first
    assert await issued(genesys_sim) == 2


async def test_short_lived_tokens_are_reused_for_half_their_life(
    transport: HttpTransport, genesys_sim: GenesysSim
) -> None:
    await genesys_sim.control(
        "clients", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "expires_in": 100}
    )
    clock = FakeClock(1000.0)
    cache = GenesysTokenCache(transport, genesys_settings(genesys_sim), clock=clock)
    tenant = genesys_tenant(genesys_sim)
    first = await cache.token(tenant)
    clock.now += 49
    assert await cache.token(tenant) == first
    clock.now += 2
    assert await cache.token(tenant) != first


async def test_a_401_refreshes_once_and_retries_once(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    tenant = genesys_tenant(genesys_sim)
    await genesys_client.send_message(tenant, message())
    await genesys_sim.control("tokens/expire", {"client_id": CLIENT_ID})
    accepted = await genesys_client.send_message(tenant, message())
    assert accepted.id
    assert await issued(genesys_sim) == 2
    statuses = [r["status"] for r in await _requests(genesys_sim, "message")]
    assert statuses == [200, 401, 200]


async def test_concurrent_401s_make_one_refresh(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    tenant = genesys_tenant(genesys_sim)
    await genesys_client.send_message(tenant, message())
    await genesys_sim.control("tokens/expire", {})
    await asyncio.gather(*(genesys_client.send_message(tenant, message()) for _ in range(20)))
    assert await issued(genesys_sim) == 2


async def test_a_second_401_after_refresh_is_a_credentials_error(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    await genesys_sim.control("failures", {"kind": "bad_token", "operation": "message", "count": 2})
    with pytest.raises(GenesysCredentialsError) as caught:
        await genesys_client.send_message(genesys_tenant(genesys_sim), message())
    assert caught.value.category is ErrorCategory.CREDENTIALS_INVALID
    assert caught.value.alert
    assert not caught.value.retriable
    assert await issued(genesys_sim) == 2
    assert len(await _requests(genesys_sim, "message")) == 2


async def test_a_wrong_client_secret_is_a_credentials_error(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    with pytest.raises(GenesysCredentialsError) as caught:
        await genesys_client.send_message(genesys_tenant(genesys_sim, secret="wrong"), message())
    assert (caught.value.http_status, caught.value.genesys_code) == (401, "invalid_client")
    assert "wrong" not in str(caught.value)
    assert await _requests(genesys_sim, "message") == []


async def test_token_endpoint_5xx_and_429_are_retried(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    await genesys_sim.control("failures", {"kind": "server_error", "operation": "token"})
    await genesys_sim.control(
        "failures", {"kind": "rate_limit", "operation": "token", "retry_after": 0}
    )
    await genesys_client.send_message(genesys_tenant(genesys_sim), message())
    statuses = [r["status"] for r in await _requests(genesys_sim, "token")]
    assert statuses == [503, 429, 200]


async def test_token_endpoint_rate_limit_beyond_attempts_is_raised(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    await genesys_sim.control(
        "failures", {"kind": "rate_limit", "operation": "token", "retry_after": 0, "count": 3}
    )
    with pytest.raises(GenesysRateLimitedError) as caught:
        await genesys_client.send_message(genesys_tenant(genesys_sim), message())
    assert caught.value.retry_after == 0
    assert caught.value.attempts == 3


async def _requests(sim: GenesysSim, operation: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = (await sim.inspect("requests", operation=operation))[
        "requests"
    ]
    return found
