"""The shared clients of a wagen process, opened in one place and closed in ``finally``.

The gateway opens them from an aiohttp ``cleanup_ctx``; the worker from a Faust service.
Every client connects lazily, so a process starts (and reports not-ready) while a
dependency is down instead of crash-looping.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import asyncpg
from redis.asyncio import Redis

from pipeline.kafka.client import KafkaProbe
from pipeline.settings import WagenSettings
from tenancy.db.pool import postgres_pool
from tenancy.services import Tenancy, TenancyConfig, build_tenancy
from tenancy.vault import VaultClient, vault_client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resources:
    """The clients one process shares between all its requests or agents."""

    postgres: asyncpg.Pool
    redis: Redis
    vault: VaultClient
    kafka: KafkaProbe


@asynccontextmanager
async def open_resources(settings: WagenSettings) -> AsyncIterator[Resources]:
    """Create every shared client, yield them, and close them all on exit."""
    async with AsyncExitStack() as stack:
        pool = await stack.enter_async_context(postgres_pool(settings.postgres))
        redis: Redis = Redis.from_url(
            settings.redis.url.get_secret_value(),
            socket_timeout=settings.redis.socket_timeout_s,
            socket_connect_timeout=settings.redis.socket_timeout_s,
        )
        stack.push_async_callback(redis.aclose)
        vault = await stack.enter_async_context(vault_client(settings.vault))
        kafka = KafkaProbe(settings.kafka)
        stack.push_async_callback(kafka.close)
        log.info(
            "resources open",
            extra={
                "postgres": settings.postgres.dsn_for_logs,
                "redis": settings.redis.url_for_logs,
                "vault": settings.vault.url,
                "kafka": settings.kafka.bootstrap_servers,
            },
        )
        yield Resources(postgres=pool, redis=redis, vault=vault, kafka=kafka)


def tenancy_config(settings: WagenSettings) -> TenancyConfig:
    """The settings sections the tenancy services read."""
    return TenancyConfig(
        tenancy=settings.tenancy, admin=settings.admin, jwt=settings.jwt, vault=settings.vault
    )


def tenancy_services(settings: WagenSettings, resources: Resources) -> Tenancy:
    """The tenancy service layer over this process's shared clients."""
    return build_tenancy(
        tenancy_config(settings), resources.postgres, resources.redis, resources.vault
    )
