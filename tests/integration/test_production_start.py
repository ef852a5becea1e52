"""A real ``wagen gateway`` and ``wagen worker`` outside development refuse to start with the
built-in dev secrets: exit 2, one line per offending setting, no port ever bound."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import free_port
from tests.integration.wagen_process import wagen

REFUSED = ["WAGEN_MEDIA_LINK_SECRET", "WAGEN_TENANCY_KEY_PEPPER", "WAGEN_VAULT_TOKEN"]


@pytest.mark.parametrize("command", ["gateway", "worker"])
async def test_dev_secrets_stop_a_production_process_at_start(command: str) -> None:
    port = free_port()
    process = wagen(
        command,
        env={
            "WAGEN_ENVIRONMENT": "production",
            "WAGEN_GATEWAY_PORT": str(port),
            "WAGEN_WORKER_METRICS_PORT": "0",
            "WAGEN_ADMIN_TOKEN": "short",
        },
    )
    output, _ = await asyncio.to_thread(process.communicate, timeout=60)
    assert process.returncode == 2, output
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    named = [line.removeprefix("error: ").split(" ", 1)[0] for line in errors[:-1]]
    assert named == [*REFUSED, "WAGEN_ADMIN_TOKEN", "WAGEN_POSTGRES_DSN"], output
    assert "WAGEN_ENVIRONMENT=development" in errors[-1]
    assert "wagen-dev-media-link-secret-change-me" not in output
    # Refused before anything was started: nothing listens, nothing was connected.
    assert "gateway starting" not in output
    assert "resources open" not in output
