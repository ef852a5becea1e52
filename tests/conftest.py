"""Shared fixtures: settings, and the rule that connected tests need the real local stack.

The suite keeps to a corner of the stack of its own: its topics carry a prefix, its workers
a consumer group, its Redis keys and Vault paths their own prefix (each test narrows these
further), so `make run` after `make test` finds the developer's pipeline as it was. The
variables are set here, before any wagen module is imported (topic names are fixed at
import), and every process a test starts inherits them; only in a pytest session, not when
the bench imports a helper from the tests (it has a corner of its own, see bench/__init__).
"""

from __future__ import annotations

import os

SUITE_ENV = {
    "WAGEN_KAFKA_TOPIC_PREFIX": "wagen-test.",
    "WAGEN_WORKER_APP_ID": "wagen-test",
    "WAGEN_TENANCY_REDIS_PREFIX": "wagen-test:",
    "WAGEN_VAULT_TENANT_PREFIX": "wagen-test/tenants",
    "WAGEN_VAULT_PLATFORM_PREFIX": "wagen-test/platform",
}
if "PYTEST_VERSION" in os.environ:  # set by pytest for the length of its session
    os.environ.update(SUITE_ENV)

import socket  # noqa: E402  (after the environment above, on purpose)
from pathlib import Path  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import pytest  # noqa: E402

from pipeline.settings import WagenSettings  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent

# The suite runs on the local stack with its built-in dev secrets, and so does every process
# it starts (they inherit this environment): development, unless a test says otherwise.
os.environ.setdefault("WAGEN_ENVIRONMENT", "development")
# Gateways started by tests pick a free metrics port unless a test names one (several run
# side by side on one machine).
os.environ.setdefault("WAGEN_GATEWAY_METRICS_PORT", "0")
INTEGRATION_DIR = REPO_ROOT / "tests" / "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration talks to real services: mark it ``connected``."""
    for item in items:
        if INTEGRATION_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.connected)


@pytest.fixture(scope="session")
def settings() -> WagenSettings:
    """Settings as the processes under test would read them."""
    return WagenSettings()


def _endpoints(settings: WagenSettings) -> dict[str, tuple[str, int]]:
    def host_port(url: str, default_port: int) -> tuple[str, int]:
        parts = urlsplit(url)
        return parts.hostname or "127.0.0.1", parts.port or default_port

    kafka_host, _, kafka_port = settings.kafka.servers[0].rpartition(":")
    return {
        "kafka": (kafka_host, int(kafka_port)),
        "postgres": host_port(settings.postgres.dsn.get_secret_value(), 5432),
        "redis": host_port(settings.redis.url.get_secret_value(), 6379),
        "vault": host_port(settings.vault.url, 8200),
    }


@pytest.fixture(scope="session")
def _stack_reachable(settings: WagenSettings) -> None:
    missing = []
    for name, (host, port) in _endpoints(settings).items():
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError:
            missing.append(f"{name} ({host}:{port})")
    if not missing:
        return
    message = (
        f"local stack not reachable: {', '.join(missing)}; start it with deploy/local/stack up"
    )
    # In `make test` and CI an absent service is a failure, never a skip.
    if os.environ.get("WAGEN_REQUIRE_STACK") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _connected_needs_stack(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("connected") is not None:
        request.getfixturevalue("_stack_reachable")


def free_port() -> int:
    """A loopback port nobody listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
