"""Webhook requests counted at the gateway's routes: reasons from a closed set, and a tenant
label only for a tenant the handler verified."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.exceptions
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from connectors.errors import SignatureMismatchError, SignatureMissingError
from pipeline.gateway.errors import error_middleware
from pipeline.gateway.webhooks import PhoneNumberNotOwnedError
from pipeline.kafka.client import KafkaUnavailableError
from pipeline.metrics.ingress import counted, rejection_reason, tenant_verified
from pipeline.metrics.labels import OTHER
from pipeline.metrics.record import tenant_label
from tenancy.errors import (
    AuthThrottledError,
    InvalidRequestError,
    RateLimitedError,
    TenantNotFoundError,
    TenantSuspendedError,
)
from tenancy.vault import VaultUnavailableError
from tests.unit.metrics.conftest import value


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (SignatureMismatchError("no match"), "bad_signature"),
        (SignatureMissingError("no header"), "bad_signature"),
        (InvalidRequestError("not JSON"), "malformed"),
        (TenantNotFoundError("no tenant"), "unknown_tenant"),
        (TenantSuspendedError("suspended", tenant_id="acme"), "suspended"),
        (web.HTTPRequestEntityTooLarge(max_size=1024, actual_size=2048), "too_large"),
        (KafkaUnavailableError("down"), "kafka_unavailable"),
        (PhoneNumberNotOwnedError("not yours"), "unowned_number"),
        (AuthThrottledError(retry_after_s=3), "throttled"),
        (VaultUnavailableError("sealed"), "dependency_unavailable"),
        (redis.exceptions.ConnectionError("refused"), "dependency_unavailable"),
        (ConnectionRefusedError(), "dependency_unavailable"),
        (RateLimitedError(tenant_id="acme", limit=1, retry_after_s=1), OTHER),
        (web.HTTPBadRequest(), OTHER),
        (KeyError("bug"), OTHER),
    ],
)
def test_each_refusal_has_its_reason(exc: BaseException, reason: str) -> None:
    assert rejection_reason(exc) == reason


KNOWN = "acme-metrics"


async def _handler(request: web.Request) -> web.Response:
    """Stands in for an ingress handler: looks the tenant up, then fails as asked."""
    tenant = request.match_info["tenant"]
    if tenant.startswith("nobody"):
        raise TenantNotFoundError("no tenant", tenant_id=tenant)
    if tenant.startswith("paused"):
        raise TenantSuspendedError("suspended", tenant_id=tenant)
    tenant_verified(request, tenant)
    if request.query.get("fail") == "signature":
        raise SignatureMismatchError("no match", tenant_id=tenant)
    return web.json_response({"status": "stored"})


async def _shared(request: web.Request) -> web.Response:
    raise PhoneNumberNotOwnedError("nobody owns it")


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application(middlewares=[error_middleware])
    app.router.add_post("/webhooks/meta", counted("meta", _shared, shared=True))
    app.router.add_post("/webhooks/meta/{tenant}", counted("meta", _handler))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_a_verified_tenant_is_counted_as_received_and_rejected_by_reason(
    client: TestClient[web.Request, web.Application],
) -> None:
    received = value("wagen_webhooks_received_total", source="meta", tenant=KNOWN)
    rejected = value(
        "wagen_webhooks_rejected_total", source="meta", tenant=KNOWN, reason="bad_signature"
    )
    assert (await client.post(f"/webhooks/meta/{KNOWN}")).status == 200
    assert (await client.post(f"/webhooks/meta/{KNOWN}?fail=signature")).status == 401
    assert value("wagen_webhooks_received_total", source="meta", tenant=KNOWN) == received + 2
    assert (
        value("wagen_webhooks_rejected_total", source="meta", tenant=KNOWN, reason="bad_signature")
        == rejected + 1
    )


async def test_an_unknown_tenant_mints_no_series_of_its_own(
    client: TestClient[web.Request, web.Application],
) -> None:
    invented = f"nobody-{uuid.uuid4().hex[:8]}"
    before = value(
        "wagen_webhooks_rejected_total", source="meta", tenant="_unknown", reason="unknown_tenant"
    )
    assert (await client.post(f"/webhooks/meta/{invented}")).status == 404
    assert value(
        "wagen_webhooks_rejected_total", source="meta", tenant="_unknown", reason="unknown_tenant"
    ) == (before + 1)
    assert value("wagen_webhooks_received_total", source="meta", tenant=invented) == 0


async def test_a_tenant_refused_before_verification_is_never_named(
    client: TestClient[web.Request, web.Application],
) -> None:
    paused = f"paused-{uuid.uuid4().hex[:8]}"
    labels = {"source": "meta", "tenant": "_unknown", "reason": "suspended"}
    before = value("wagen_webhooks_rejected_total", **labels)
    assert (await client.post(f"/webhooks/meta/{paused}")).status == 403
    assert value("wagen_webhooks_rejected_total", **labels) == before + 1
    assert value("wagen_webhooks_received_total", source="meta", tenant=paused) == 0


async def test_the_shared_route_is_labelled_shared(
    client: TestClient[web.Request, web.Application],
) -> None:
    labels = {"source": "meta", "tenant": "_shared", "reason": "unowned_number"}
    before = value("wagen_webhooks_rejected_total", **labels)
    assert (await client.post("/webhooks/meta")).status == 403
    assert value("wagen_webhooks_rejected_total", **labels) == before + 1


async def test_with_the_tenant_label_off_everything_is_all(
    client: TestClient[web.Request, web.Application],
) -> None:
    tenant_label.enabled = False
    before = value("wagen_webhooks_received_total", source="meta", tenant="_all")
    await client.post(f"/webhooks/meta/{KNOWN}")
    await client.post(f"/webhooks/meta/nobody-{uuid.uuid4().hex[:8]}")
    await client.post("/webhooks/meta")
    assert value("wagen_webhooks_received_total", source="meta", tenant="_all") == before + 3
