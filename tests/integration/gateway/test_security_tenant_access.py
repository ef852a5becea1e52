"""Issue 16, point 1, against a live ``wagen gateway``: a subdomain selects a tenant but never
authenticates one, and only the ``Host`` header decides the subdomain.

The probe's reproductions: ``Host: b.<base>`` with no credential read and wrote tenant B's
state; an absolute-form request line naming B beat ``Host: a.<base>`` (so a proxy
authorising on Host was bypassed). Both are refused now; a credential of another tenant on a
tenant's host is a 403.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from pipeline.settings import WagenSettings
from tenancy.models import TenantCreate
from tenancy.services import Tenancy
from tests.integration.faults.live_gateway import (
    ACTOR,
    LiveGateway,
    raw_exchange,
    running_gateway,
)
from tests.integration.tenancy.conftest import BASE_DOMAIN


@dataclass(frozen=True)
class TwoTenants:
    """Tenants ``alpha`` and ``bravo``, on subdomains of the same names."""

    gateway: LiveGateway
    keys: dict[str, str]


@pytest.fixture
async def two(tenancy: Tenancy, tenancy_settings: WagenSettings) -> AsyncIterator[TwoTenants]:
    keys = {}
    for name in ("alpha", "bravo"):
        created = await tenancy.tenants.create(
            TenantCreate(tenant_id=name, name=name, subdomain=name, plan=None), ACTOR
        )
        keys[name] = created.api_key.key
    async with running_gateway(tenancy_settings) as gateway:
        yield TwoTenants(gateway, keys)


def _host(tenant: str) -> str:
    return f"{tenant}.{BASE_DOMAIN}"


async def _call(
    two: TwoTenants, method: str, path: str, headers: dict[str, str], body: object = None
) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{two.gateway.url}{path}", headers=headers, json=body) as r,
    ):
        return r.status, await r.json()


async def test_a_subdomain_alone_reads_and_writes_nothing(two: TwoTenants) -> None:
    host_only = {"Host": _host("bravo")}
    status, body = await _call(two, "GET", "/state/stats", host_only)
    assert (status, body["error"]["code"]) == (401, "unauthenticated")  # type: ignore[index]
    mapping = {"waId": "15550001", "contactName": "Mallory"}
    status, _ = await _call(two, "POST", "/state/mapping", host_only, mapping)
    assert status == 401
    status, _ = await _call(two, "GET", "/state/mapping/15550001", host_only)
    assert status == 401
    # Nothing was written for bravo.
    status, stats = await _call(two, "GET", "/state/stats", {"X-API-Key": two.keys["bravo"]})
    assert (status, stats["totalMappings"]) == (200, 0)


@pytest.mark.parametrize(
    ("host", "key", "status"),
    [
        (_host("alpha"), "alpha", 200),
        (_host("bravo"), "alpha", 403),
        (_host("nobody"), "alpha", 403),
        # Not a tenant subdomain at all: the credential alone decides.
        ("gateway.internal", "alpha", 200),
    ],
)
async def test_on_a_tenants_host_only_that_tenants_credential_passes(
    two: TwoTenants, host: str, key: str, status: int
) -> None:
    got, body = await _call(two, "GET", "/state/stats", {"Host": host, "X-API-Key": two.keys[key]})
    assert got == status, body
    if status == 403:
        assert body["error"]["code"] == "tenant_host_mismatch"  # type: ignore[index]
        write, _ = await _call(
            two,
            "POST",
            "/state/mapping",
            {"Host": host, "X-API-Key": two.keys[key]},
            {"waId": "15550002"},
        )
        assert write == 403


def _absolute_form(url_host: str, host_header: str, key: str) -> bytes:
    return (
        f"GET http://{url_host}/state/stats HTTP/1.1\r\nHost: {host_header}\r\n"
        f"X-API-Key: {key}\r\nConnection: close\r\n\r\n"
    ).encode()


def test_the_host_header_beats_an_absolute_form_request_line(two: TwoTenants) -> None:
    # The request line names bravo; the Host header (what a proxy checks) names alpha.
    status, body = raw_exchange(
        two.gateway, _absolute_form(_host("bravo"), _host("alpha"), two.keys["alpha"])
    )
    assert status == 200, body
    assert json.loads(body)["tenantId"] == "alpha"
    # Bravo's own key cannot use the request line to reach bravo through alpha's host.
    status, body = raw_exchange(
        two.gateway, _absolute_form(_host("bravo"), _host("alpha"), two.keys["bravo"])
    )
    assert status == 403, body
    assert json.loads(body)["error"]["code"] == "tenant_host_mismatch"


def test_two_host_headers_are_refused(two: TwoTenants) -> None:
    request = (
        f"GET /state/stats HTTP/1.1\r\nHost: {_host('alpha')}\r\nHost: {_host('bravo')}\r\n"
        f"X-API-Key: {two.keys['bravo']}\r\nConnection: close\r\n\r\n"
    ).encode()
    status, _ = raw_exchange(two.gateway, request)
    assert status == 400
