"""Issue 16, points 3 and 6, against a live ``wagen gateway``: bodies the stores could not take
are a 400 naming the field, admin bodies are strictly typed, Genesys regions are checked.

The probe got 500s with tracebacks for a NUL in a contact, tenant or API-key name (asyncpg's
``CharacterNotInRepertoireError``) and for 10,000-level JSON nesting (``RecursionError``);
``rateLimit: true`` was stored as 1; ``attacker.example.com`` was a region and ``eu-west-1``
was not.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from pipeline.settings import WagenSettings
from tenancy.http.json_body import MAX_DEPTH
from tenancy.http.routes import ROUTES
from tenancy.models import TenantCreate
from tenancy.services import Tenancy
from tests.integration.faults.live_gateway import ACTOR, LiveGateway, running_gateway
from tests.integration.tenancy.conftest import ADMIN

JSON_ROUTES = [r for r in ROUTES if r.body is not None]
GENESYS = {
    "clientId": "client",
    "clientSecret": "client-secret",
    "integrationId": "00000000-0000-4000-8000-000000000003",
    "outboundWebhookSecret": "outbound-webhook-secret",
}


@dataclass(frozen=True)
class Live:
    """A gateway and a tenant ``alpha`` with its key."""

    gateway: LiveGateway
    key: str

    def headers(self, scope: str) -> dict[str, str]:
        """Credentials for a route of ``scope``."""
        return ADMIN if scope == "admin" else {"X-API-Key": self.key}


@pytest.fixture
async def live(tenancy: Tenancy, tenancy_settings: WagenSettings) -> AsyncIterator[Live]:
    created = await tenancy.tenants.create(TenantCreate(tenant_id="alpha", name="Alpha"), ACTOR)
    async with running_gateway(tenancy_settings) as gateway:
        yield Live(gateway, created.api_key.key)


async def _send(
    live: Live, method: str, path: str, scope: str, raw: bytes
) -> tuple[int, dict[str, Any]]:
    headers = {**live.headers(scope), "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{live.gateway.url}{path}", data=raw, headers=headers) as r,
    ):
        return r.status, await r.json()


def _path(template: str) -> str:
    return template.replace("{tenantId}", "alpha")


_MAP = "/state/mapping"
_KEYS = "/tenants/alpha/api-keys"
UNSTORABLE = [
    ("POST", _MAP, "tenant", {"waId": "15550001", "contactName": "A\x00"}, "contactName"),
    ("POST", "/tenants", "admin", {"tenantId": "bravo", "name": "B\x00"}, "name"),
    ("PATCH", "/tenants/alpha", "admin", {"name": "\x00"}, "name"),
    ("POST", _KEYS, "admin", {"name": "ci\x00"}, "name"),
    ("POST", _KEYS, "admin", {"name": "ci\ud800"}, "name"),
    ("POST", _MAP, "tenant", {"waId": "15550001", "contactName": "\udfff"}, "contactName"),
]


async def test_unstorable_text_is_a_400_naming_the_field(live: Live) -> None:
    for method, path, scope, body, field in UNSTORABLE:
        status, answer = await _send(live, method, path, scope, json.dumps(body).encode())
        assert status == 400, (path, answer)
        [error] = answer["error"]["errors"]
        assert (error["loc"], error["type"]) == ([field], "unstorable_text")
        assert "\x00" not in json.dumps(answer, ensure_ascii=False)


async def test_deep_nesting_is_a_400_on_every_json_route(live: Live) -> None:
    for spec in JSON_ROUTES:
        for levels in (MAX_DEPTH + 1, 10_000):
            raw = b'{"a":' * levels + b"1" + b"}" * levels
            status, answer = await _send(live, spec.method, _path(spec.path), spec.scope, raw)
            assert status == 400, (spec.path, levels, answer)
            assert answer["error"]["errors"][0]["type"] == "too_deep"


async def test_admin_bodies_are_strictly_typed(live: Live) -> None:
    for value, status in ((True, 400), (1.0, 400), ("5", 400), (5, 200), (None, 200)):
        raw = json.dumps({"rateLimit": value}).encode()
        got, answer = await _send(live, "PATCH", "/tenants/alpha", "admin", raw)
        assert got == status, (value, answer)
        if status == 200:
            assert answer["rateLimit"] == value


REGIONS = [
    ("eu-west-1", True),  # the form Genesys documents
    ("mypurecloud.ie", True),
    ("usw2.pure.cloud", True),
    ("attacker.example.com", False),
    ("login.mypurecloud.ie", False),
    ("eu-west-9", False),
]


async def test_only_known_genesys_regions_are_stored(live: Live) -> None:
    """An unknown region is refused before any call (the client secret would go to its login
    host) and never echoed; a known one gets past the check (to onboarding's live calls,
    which this gateway, with no simulator, cannot reach: nothing is stored either way)."""
    for region, known in REGIONS:
        body = {"type": "genesys", "credentials": {**GENESYS, "region": region}}
        got, answer = await _send(
            live, "POST", "/tenants/alpha/credentials", "admin", json.dumps(body).encode()
        )
        refused = answer.get("error", {}).get("code") == "genesys_region_unknown"
        assert refused is not known, (region, got, answer)
        if refused:
            assert got == 422
            assert answer["error"]["knownRegions"]
            assert region not in json.dumps(answer)
