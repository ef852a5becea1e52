"""Issue 16, points 4 and 6, against a live ``wagen gateway``: what unauthenticated webhooks
can no longer do.

* Each bad signature used to drop the cached secret and read Vault again (100 bad requests,
  100 Vault reads): now at most one re-read per interval per tenant, counted through a proxy
  in front of the real Vault.
* Failures are counted per client address: past the limit a client gets 429, though a
  correctly signed webhook always passes (Meta and Genesys share their addresses).
* An unknown tenant answered 404 and a known one 401, and ``credentials_missing`` told which
  credentials a tenant had: without a valid signature every answer is now the same.
* ``/metrics`` named tenants that were only probed: a tenant is a label value only once a
  request was signed with its own secret.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.signatures import SIGNATURE_HEADER, sign_genesys, sign_meta
from pipeline.settings import WagenSettings
from tenancy.models import CredentialsWrite, TenantCreate, TenantPatch
from tenancy.services import Tenancy
from tests.integration.faults.live_gateway import (
    ACTOR,
    GatewayTenant,
    LiveGateway,
    create_gateway_tenant,
    running_gateway,
)
from tests.integration.gateway.vault_proxy import vault_proxy

BODY = b'{"object": "whatsapp_business_account", "entry": []}'


async def _post(
    http: aiohttp.ClientSession,
    gateway: LiveGateway,
    path: str,
    signature: str | None,
    forwarded_for: str | None = None,
) -> tuple[int, dict[str, object]]:
    headers = {SIGNATURE_HEADER: signature} if signature is not None else {}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    async with http.post(f"{gateway.url}{path}", data=BODY, headers=headers) as response:
        return response.status, await response.json()


def _name(unique_name: str, role: str) -> str:
    return f"{role}-{unique_name.removeprefix('test-')}"


async def test_a_hundred_bad_signatures_cost_at_most_one_vault_read(
    tenancy: Tenancy, tenancy_settings: WagenSettings, unique_name: str
) -> None:
    tenant = await create_gateway_tenant(tenancy, _name(unique_name, "v"), "enterprise")
    meta_path = f"{tenant.tenant_id}/meta"
    async with vault_proxy(tenancy_settings.vault.url) as proxy:
        env = {"WAGEN_VAULT_URL": proxy.url, "WAGEN_GATEWAY_SECRET_REREAD_INTERVAL_S": "300"}
        async with (
            running_gateway(tenancy_settings, env) as gateway,
            aiohttp.ClientSession() as http,
        ):
            path = f"/webhooks/meta/{tenant.tenant_id}"
            good = sign_meta(BODY, tenant.app_secret)
            assert (await _post(http, gateway, path, good))[0] == 200
            before = proxy.reads_of(meta_path)
            assert before == 1
            bad = sign_meta(BODY, "not-the-app-secret")
            statuses: Counter[int] = Counter()
            for _ in range(5):  # 5 x 20 at once: concurrent and successive failures alike
                batch = [_post(http, gateway, path, bad) for _ in range(20)]
                statuses.update(status for status, _ in await asyncio.gather(*batch))
            assert statuses == {401: 100}
            # One re-read for the first mismatch (a rotation would be picked up), then none.
            assert proxy.reads_of(meta_path) - before <= 1
            # The right secret still works without another read.
            assert (await _post(http, gateway, path, good))[0] == 200
            assert proxy.reads_of(meta_path) - before <= 1


async def test_a_failing_client_meets_429_but_signed_webhooks_pass(
    tenancy: Tenancy, tenancy_settings: WagenSettings, unique_name: str
) -> None:
    tenant = await create_gateway_tenant(tenancy, _name(unique_name, "t"), "enterprise")
    env = {
        "WAGEN_TENANCY_AUTH_FAILURE_LIMIT": "5",
        "WAGEN_TENANCY_AUTH_FAILURE_WINDOW_S": "120",
        "WAGEN_GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
    }
    path = f"/webhooks/meta/{tenant.tenant_id}"
    bad, good = sign_meta(BODY, "wrong"), sign_meta(BODY, tenant.app_secret)
    async with running_gateway(tenancy_settings, env) as gateway, aiohttp.ClientSession() as http:
        mallory = "198.51.100.9"
        statuses = [(await _post(http, gateway, path, bad, mallory))[0] for _ in range(5)]
        assert statuses == [401, 401, 401, 401, 429]
        status, body = await _post(http, gateway, path, bad, mallory)
        assert (status, body["error"]["code"]) == (429, "auth_throttled")  # type: ignore[index]
        # A correctly signed webhook from the same address is never held up.
        assert (await _post(http, gateway, path, good, mallory))[0] == 200
        # A tenant nobody has cached costs the blocked client its answer, no lookup.
        assert (await _post(http, gateway, "/webhooks/meta/nobody-x", bad, mallory))[0] == 429
        # Another client is not affected.
        assert (await _post(http, gateway, path, bad, "203.0.113.4"))[0] == 401
        async with http.get(f"{gateway.metrics_url}/metrics") as response:
            text = await response.text()
    series = {
        (s.name, s.labels.get("scope")): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    assert series[("wagen_auth_failures_total", "webhook")] == 7
    assert series[("wagen_auth_throttled_total", "webhook")] == 3


async def _tenant_with(
    tenancy: Tenancy, tenant_id: str, kinds: tuple[str, ...], full: GatewayTenant
) -> None:
    """A tenant with only some kinds of credentials (copied from ``full``'s, new number)."""
    await tenancy.tenants.create(TenantCreate(tenant_id=tenant_id, name=tenant_id), ACTOR)
    meta = {
        "appSecret": full.app_secret,
        "verifyToken": "verify",
        "accessToken": "EAAG-token",
        "phoneNumberId": str(uuid.uuid4().int % 10**13),
    }
    genesys = {
        "clientId": "client",
        "clientSecret": "client-secret-0123",
        "region": "eu-west-1",
        "integrationId": "00000000-0000-4000-8000-000000000002",
        "outboundWebhookSecret": full.outbound_secret,
    }
    for kind, credentials in (("meta", meta), ("genesys", genesys)):
        if kind in kinds:
            write = CredentialsWrite.model_validate({"type": kind, "credentials": credentials})
            await tenancy.credentials.put(tenant_id, write, ACTOR)


async def test_without_a_valid_signature_every_tenant_looks_the_same(
    tenancy: Tenancy, tenancy_settings: WagenSettings, unique_name: str
) -> None:
    full = await create_gateway_tenant(tenancy, _name(unique_name, "full"), "enterprise")
    meta_only, genesys_only = _name(unique_name, "mo"), _name(unique_name, "go")
    await _tenant_with(tenancy, meta_only, ("meta",), full)
    await _tenant_with(tenancy, genesys_only, ("genesys",), full)
    suspended = await create_gateway_tenant(tenancy, _name(unique_name, "sus"), "enterprise")
    await tenancy.tenants.update(
        suspended.tenant_id, TenantPatch.model_validate({"status": "suspended"}), ACTOR
    )
    tenants = [full.tenant_id, meta_only, genesys_only, suspended.tenant_id, "nobody-at-all"]
    signatures = {
        "meta": [None, "sha256=zz", sign_meta(BODY, "guess")],
        "genesys": [None, "sha256=zz", sign_genesys(BODY, "guess")],
    }
    async with running_gateway(tenancy_settings) as gateway, aiohttp.ClientSession() as http:
        for route, candidates in signatures.items():
            for signature in candidates:
                answers = {
                    t: await _post(http, gateway, f"/webhooks/{route}/{t}", signature)
                    for t in tenants
                }
                assert len({json.dumps(a, sort_keys=True) for a in answers.values()}) == 1, answers
                assert next(iter(answers.values()))[0] == 401
        # Meta's handshake: a wrong token, no Meta credentials and no tenant answer alike.
        handshakes = {}
        for t in tenants:
            query = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "42"}
            async with http.get(f"{gateway.url}/webhooks/meta/{t}", params=query) as response:
                handshakes[t] = (response.status, await response.text())
        assert len(set(handshakes.values())) == 1, handshakes
        assert next(iter(handshakes.values()))[0] == 403
        # With the tenant's own signature the suspension is told (and only then).
        status, body = await _post(
            http,
            gateway,
            f"/webhooks/meta/{suspended.tenant_id}",
            sign_meta(BODY, suspended.app_secret),
        )
        assert (status, body["error"]["code"]) == (403, "tenant_suspended")  # type: ignore[index]


@pytest.mark.parametrize("route", ["meta", "genesys"])
async def test_metrics_never_name_a_tenant_that_was_only_probed(
    tenancy: Tenancy, tenancy_settings: WagenSettings, unique_name: str, route: str
) -> None:
    probed = await create_gateway_tenant(tenancy, _name(unique_name, "probed"), "enterprise")
    served = await create_gateway_tenant(tenancy, _name(unique_name, "served"), "enterprise")
    sign = sign_meta if route == "meta" else sign_genesys
    async with running_gateway(tenancy_settings) as gateway, aiohttp.ClientSession() as http:
        for signature in (None, sign(BODY, "guess")):
            assert (await _post(http, gateway, f"/webhooks/{route}/{probed.tenant_id}", signature))[
                0
            ] == 401
            invented = f"invented-{uuid.uuid4().hex[:8]}"
            assert (await _post(http, gateway, f"/webhooks/{route}/{invented}", signature))[
                0
            ] == 401
        secret = served.app_secret if route == "meta" else served.outbound_secret
        status, _ = await _post(
            http, gateway, f"/webhooks/{route}/{served.tenant_id}", sign(BODY, secret)
        )
        assert status == 200
        async with http.get(f"{gateway.metrics_url}/metrics") as response:
            text = await response.text()
    assert probed.tenant_id not in text
    assert "invented-" not in text
    assert served.tenant_id in text
    rejected = [
        s
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "wagen_webhooks_rejected_total" and s.labels["source"] == route
    ]
    assert {s.labels["tenant"] for s in rejected} == {"_unknown"}
    assert sum(s.value for s in rejected if s.labels["reason"] == "bad_signature") == 4
