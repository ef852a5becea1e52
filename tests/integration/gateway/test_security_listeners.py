"""Issue 16, point 6, against a live ``wagen gateway``: slow request headers are cut off at the
header deadline, and ``/metrics`` lives on a listener of its own, behind a token when set.

The probe held 25 slow-header connections for 55 s and read ``/metrics`` (tenant ids
included) on the public port.
"""

from __future__ import annotations

import asyncio
import socket
import time

import aiohttp
import pytest

from pipeline.settings import WagenSettings
from tests.integration.faults.live_gateway import LiveGateway, raw_exchange, running_gateway

HEADER_TIMEOUT_S = 1.0
METRICS_TOKEN = "test-metrics-token-0123456789-0123456789"


def _trickle_headers(gateway: LiveGateway, give_up_s: float) -> tuple[bytes, float]:
    """Open a connection and send a header line every 0.2 s; (what came back, seconds)."""
    started = time.monotonic()
    with socket.create_connection((gateway.host, gateway.port), timeout=give_up_s) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gw\r\n")
        answer = b""
        sock.settimeout(0.2)
        while time.monotonic() - started < give_up_s:
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    break
                continue
            except OSError:
                break
            if not chunk:  # closed by the gateway
                break
            answer += chunk
    return answer, time.monotonic() - started


@pytest.mark.timeout(120)
async def test_slow_headers_get_408_and_lose_their_connection(
    tenancy_settings: WagenSettings,
) -> None:
    env = {"WAGEN_GATEWAY_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S)}
    async with running_gateway(tenancy_settings, env) as gateway:
        slow = [asyncio.to_thread(_trickle_headers, gateway, 30.0) for _ in range(25)]
        # Meanwhile an ordinary client is served at once.
        async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/healthz") as r:
            assert r.status == 200
        results = await asyncio.gather(*slow)
        for answer, seconds in results:
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
            # Cut off near the deadline, long before the 30 s the client would have gone on.
            assert seconds < 15, seconds
        # A connection that sends nothing at all is closed the same way.
        with socket.create_connection((gateway.host, gateway.port), timeout=20) as sock:
            silent = sock.recv(4096)
            assert silent.startswith(b"HTTP/1.1 408 ")
            assert sock.recv(4096) == b""


async def test_a_kept_alive_connection_outlives_the_header_deadline(
    tenancy_settings: WagenSettings,
) -> None:
    env = {"WAGEN_GATEWAY_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S)}
    async with running_gateway(tenancy_settings, env) as gateway:
        with socket.create_connection((gateway.host, gateway.port), timeout=10) as sock:
            for _ in range(2):
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n")
                answer = b""
                while b'"ok"' not in answer:
                    chunk = sock.recv(4096)
                    assert chunk, "connection closed"
                    answer += chunk
                assert answer.startswith(b"HTTP/1.1 200 ")
                # Idle between requests for longer than the header deadline.
                await asyncio.sleep(HEADER_TIMEOUT_S * 2)


async def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.text()


async def test_metrics_are_not_served_on_the_public_port(tenancy_settings: WagenSettings) -> None:
    async with running_gateway(tenancy_settings) as gateway:
        status, _ = await _get(f"{gateway.url}/metrics")
        assert status == 404
        status, _ = raw_exchange(
            gateway, b"GET /metrics HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"
        )
        assert status == 404
        status, text = await _get(f"{gateway.metrics_url}/metrics")
        assert status == 200
        assert "# TYPE wagen_kafka_produce_duration_seconds histogram" in text


async def test_the_metrics_listener_wants_its_token(tenancy_settings: WagenSettings) -> None:
    env = {"WAGEN_METRICS_TOKEN": METRICS_TOKEN}
    async with running_gateway(tenancy_settings, env) as gateway:
        for headers in (None, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
            status, _ = await _get(f"{gateway.metrics_url}/metrics", headers)
            assert status == 401, headers
        good = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        status, text = await _get(f"{gateway.metrics_url}/metrics", good)
        assert status == 200
        assert "# TYPE wagen_" in text
        # Probes need no token.
        assert (await _get(f"{gateway.metrics_url}/healthz"))[0] == 200
