"""The gateway's /healthz and /readyz against the real stack, and with a dependency down."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from pipeline.gateway.app import create_app
from pipeline.settings import KafkaSettings, WagenSettings
from tenancy.settings import PostgresSettings, RedisSettings, VaultSettings
from tests.conftest import free_port


async def _client(settings: WagenSettings) -> TestClient[web.Request, web.Application]:
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    return client


async def test_healthz_and_readyz_with_every_dependency_up(settings: WagenSettings) -> None:
    client = await _client(settings)
    try:
        health = await client.get("/healthz")
        assert health.status == 200
        assert await health.json() == {"status": "ok"}

        ready = await client.get("/readyz")
        body = await ready.json()
        assert ready.status == 200, body
        assert body["status"] == "ready"
        assert set(body["dependencies"]) == {"kafka", "postgres", "redis", "vault"}
        assert all(dep["status"] == "up" for dep in body["dependencies"].values())
    finally:
        await client.close()


def _with_dead(settings: WagenSettings, dependency: str) -> WagenSettings:
    """The same settings with one dependency pointed at a port nobody listens on."""
    port = free_port()
    replacement: dict[str, object] = {
        "kafka": KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=1000),
        "postgres": PostgresSettings(
            dsn=SecretStr(f"postgresql://wagen:wagen@127.0.0.1:{port}/wagen")
        ),
        "redis": RedisSettings(url=SecretStr(f"redis://127.0.0.1:{port}/0")),
        "vault": VaultSettings(url=f"http://127.0.0.1:{port}", timeout_s=1),
    }
    return settings.model_copy(update={dependency: replacement[dependency]})


@pytest.mark.parametrize("dependency", ["kafka", "postgres", "redis", "vault"])
async def test_readyz_turns_red_when_a_dependency_is_down(
    settings: WagenSettings, dependency: str
) -> None:
    client = await _client(_with_dead(settings, dependency))
    try:
        # Liveness does not depend on anything: the process itself is fine.
        assert (await client.get("/healthz")).status == 200
        ready = await client.get("/readyz")
        body = await ready.json()
        assert ready.status == 503
        assert body["status"] == "not_ready"
        statuses = {name: dep["status"] for name, dep in body["dependencies"].items()}
        assert statuses[dependency] == "down"
        assert body["dependencies"][dependency]["error"]
        assert all(s == "up" for name, s in statuses.items() if name != dependency)
    finally:
        await client.close()
