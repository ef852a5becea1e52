"""Abusive request streams against a live ``wagen gateway``: bodies over the size limit
(declared, or chunked and growing), a body trickled byte by byte (slow loris), and one
tenant flooding while another works.

An oversized body is refused with 413 once the limit is passed, not read to its end; a
trickled body gets 408 at the gateway's body deadline while other clients are served
meanwhile; the flooding tenant meets its plan's rate limit (429 with ``Retry-After``) on
the tenant API and the other tenant's requests all succeed. Webhook routes carry no rate
limit (Meta and Genesys would retry a 429 into a backlog): a webhook flood of one tenant
must simply not stop another's webhooks.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter

import aiohttp
import pytest

from connectors.signatures import SIGNATURE_HEADER, sign_meta
from pipeline.settings import WagenSettings
from tenancy.services import Tenancy
from tests.integration.faults.live_gateway import (  # noqa: F401  (fixture, registered by import)
    BODY_TIMEOUT_S,
    GatewayTenant,
    LiveGateway,
    create_gateway_tenant,
    healthy,
    live_gateway_fixture,
    raw_status,
)

pytestmark = pytest.mark.faults

CHUNK = 64 * 1024
SEND_AT_MOST = 16 * 1024 * 1024


def _push_until_answered(gateway: LiveGateway, head: bytes, chunk: bytes) -> tuple[int, int]:
    """Send ``head`` then ``chunk`` over and over until the gateway answers or hangs up;
    (status, body bytes sent). Status 0: no answer within ``SEND_AT_MOST`` bytes."""
    sent = 0
    with socket.create_connection((gateway.host, gateway.port), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while sent < SEND_AT_MOST:
            try:
                sock.settimeout(0.01)
                answer += sock.recv(4096)
            except TimeoutError:
                pass
            except OSError:
                break
            if answer:
                break
            try:
                sock.settimeout(10)
                sock.sendall(chunk)
                sent += len(chunk) - (len(b"10000\r\n\r\n") if chunk.startswith(b"10000") else 0)
            except OSError:  # the gateway hung up: read what it said before
                break
        sock.settimeout(10)
        try:
            while b"\r\n" not in answer:
                more = sock.recv(4096)
                if not more:
                    break
                answer += more
        except OSError:
            pass
    parts = answer.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), sent


@pytest.mark.parametrize("framing", ["content_length", "chunked"])
async def test_an_oversized_body_is_413_before_it_is_read_in_full(
    live_gateway: LiveGateway,
    tenancy: Tenancy,
    tenancy_settings: WagenSettings,
    unique_name: str,
    framing: str,
) -> None:
    tenant = await create_gateway_tenant(tenancy, unique_name.replace("test-", "o"), "enterprise")
    limit = tenancy_settings.gateway.max_body_bytes
    framing_header = (
        f"Content-Length: {50 * limit}"
        if framing == "content_length"
        else "Transfer-Encoding: chunked"
    )
    head = (
        f"POST /webhooks/meta/{tenant.tenant_id} HTTP/1.1\r\nHost: gw\r\n"
        f"{framing_header}\r\n{SIGNATURE_HEADER}: sha256=00\r\n\r\n"
    ).encode()
    data = b"x" * CHUNK
    chunk = data if framing == "content_length" else b"10000\r\n" + data + b"\r\n"
    status, sent = await asyncio.to_thread(_push_until_answered, live_gateway, head, chunk)
    assert status == 413
    # Refused near the limit (socket buffers hold a few MiB more), far from the declared size.
    assert sent < limit + 8 * 1024 * 1024
    async with aiohttp.ClientSession() as http:
        assert await healthy(http, live_gateway)


def _trickle(gateway: LiveGateway, path: str, stop_after_s: float) -> tuple[int, float]:
    """A slow loris: headers, then one body byte every 0.2 s; (status, seconds to answer)."""
    started = time.monotonic()
    with socket.create_connection((gateway.host, gateway.port), timeout=10) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: gw\r\nContent-Length: 10000\r\n\r\n".encode())
        sock.settimeout(0.2)
        answer = b""
        while time.monotonic() - started < stop_after_s and b"\r\n" not in answer:
            try:
                sock.sendall(b"{")
                answer += sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
    parts = answer.split(b" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return status, time.monotonic() - started


async def test_a_trickled_body_gets_408_while_other_clients_are_served(
    live_gateway: LiveGateway, tenancy: Tenancy, unique_name: str
) -> None:
    tenant = await create_gateway_tenant(tenancy, unique_name.replace("test-", "s"), "enterprise")
    path = f"/webhooks/meta/{tenant.tenant_id}"
    lorises = [asyncio.to_thread(_trickle, live_gateway, path, 30) for _ in range(5)]
    slow = asyncio.gather(*lorises)
    served: Counter[int] = Counter()
    async with aiohttp.ClientSession() as http:
        body = b'{"object":"whatsapp_business_account","entry":[]}'
        headers = {SIGNATURE_HEADER: sign_meta(body, tenant.app_secret)}
        while not slow.done():  # meanwhile, an ordinary client is served as usual
            async with http.post(f"{live_gateway.url}{path}", data=body, headers=headers) as r:
                served[r.status] += 1
            await asyncio.sleep(0.1)
        results = await slow
    assert [status for status, _ in results] == [408] * len(results)
    assert all(BODY_TIMEOUT_S <= took < BODY_TIMEOUT_S + 10 for _, took in results), results
    assert set(served) == {200}
    assert served[200] >= 3


async def _hammer(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: dict[str, str],
    count: int,
    body: bytes | None = None,
) -> tuple[Counter[int], set[str]]:
    async def one() -> tuple[int, str | None]:
        async with http.request(method, url, headers=headers, data=body) as response:
            await response.read()
            return response.status, response.headers.get("Retry-After")

    answers = await asyncio.gather(*(one() for _ in range(count)))
    return Counter(s for s, _ in answers), {r for s, r in answers if s == 429 and r}


async def test_a_flooding_tenant_is_rate_limited_and_another_keeps_working(
    live_gateway: LiveGateway, tenancy: Tenancy, unique_name: str
) -> None:
    flooder: GatewayTenant = await create_gateway_tenant(
        tenancy, unique_name.replace("test-", "x"), "tiny"
    )
    other = await create_gateway_tenant(tenancy, unique_name.replace("test-", "y"), "enterprise")
    stats = f"{live_gateway.url}/state/stats"
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as http:
        (flood, retry_after), (calm, _), (webhook_flood, _), (webhooks, _) = await asyncio.gather(
            _hammer(http, "GET", stats, {"X-API-Key": flooder.api_key}, 60),
            _hammer(http, "GET", stats, {"X-API-Key": other.api_key}, 20),
            _hammer(
                http, "POST", f"{live_gateway.url}/webhooks/meta/{flooder.tenant_id}",
                {SIGNATURE_HEADER: sign_meta(body, flooder.app_secret)}, 60, body,
            ),
            _hammer(
                http, "POST", f"{live_gateway.url}/webhooks/meta/{other.tenant_id}",
                {SIGNATURE_HEADER: sign_meta(body, other.app_secret)}, 20, body,
            ),
        )  # fmt: skip
    assert set(flood) == {200, 429}, flood
    assert flood[429] >= 60 - 3 * 5  # at most a few seconds' worth of its 5/s got through
    assert retry_after, "a 429 without Retry-After"
    assert calm == Counter({200: 20})
    assert webhooks == Counter({200: 20})
    assert webhook_flood == Counter({200: 60})


async def test_malformed_requests_get_400_and_one_short_log_line(
    live_gateway: LiveGateway,
) -> None:
    # A request line over aiohttp's limit: refused by aiohttp itself, before any handler.
    malformed = b"POST /webhooks/meta/" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    statuses = [await asyncio.to_thread(raw_status, live_gateway, malformed) for _ in range(20)]
    assert statuses == [400] * 20
    async with aiohttp.ClientSession() as http:
        assert await healthy(http, live_gateway)
    output = live_gateway.process.output_so_far()
    refused = [line for line in output.splitlines() if "malformed HTTP request refused" in line]
    assert len(refused) == 1, output[-4000:]
    assert "LineTooLong" in refused[0]
    assert "Traceback" not in output
    assert "Error handling request" not in output
