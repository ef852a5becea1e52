"""``GET /media/{token}`` on the real gateway app: the token is the only authorization."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import asyncpg
from pydantic import SecretStr

from pipeline.media.links import MediaLinkSigner
from pipeline.media.postgres import PostgresMediaStore
from pipeline.media.store import StoredMedia
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.models import TenantCreate
from tenancy.services import Tenancy
from tests.integration.tenancy.conftest import Client

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 100
ADMIN = Actor(label="admin:test", request_id="req-test")


async def stored_pdf(tenancy: Tenancy, pool: asyncpg.Pool, tenant_id: str, media_id: str) -> None:
    await tenancy.tenants.create(TenantCreate(tenant_id=tenant_id, name=tenant_id), ADMIN)
    await PostgresMediaStore(pool).put(
        tenant_id,
        StoredMedia(
            media_id=media_id,
            data=PDF,
            mime_type="application/pdf",
            sha256_hex=hashlib.sha256(PDF).hexdigest(),
            expires_at=datetime.now(UTC) + timedelta(days=1),
            filename="invoice März.pdf",
        ),
    )


def signer(settings: WagenSettings, *, skew_s: float = 0.0) -> MediaLinkSigner:
    return MediaLinkSigner(
        settings.media.link_secret, clock=lambda: datetime.now(UTC).timestamp() + skew_s
    )


async def test_a_valid_token_serves_the_exact_bytes_privately(
    client: Client, tenancy: Tenancy, pool: asyncpg.Pool, tenancy_settings: WagenSettings
) -> None:
    await stored_pdf(tenancy, pool, "route-a", "doc-1")
    token = signer(tenancy_settings).sign("route-a", "doc-1", ttl_s=600)

    response = await client.get(f"/media/{token}")
    body = await response.read()

    assert response.status == 200
    assert body == PDF
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Length"] == str(len(PDF))
    cache = response.headers["Cache-Control"]
    assert cache.startswith("private, max-age=")
    assert 0 < int(cache.rsplit("=", 1)[1]) <= 600
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "inline" in response.headers["Content-Disposition"]

    head = await client.head(f"/media/{token}")
    assert (head.status, head.headers["Content-Length"]) == (200, str(len(PDF)))


async def test_tampered_expired_foreign_and_unknown_all_get_the_same_404(
    client: Client, tenancy: Tenancy, pool: asyncpg.Pool, tenancy_settings: WagenSettings
) -> None:
    await stored_pdf(tenancy, pool, "route-a", "doc-1")
    await tenancy.tenants.create(TenantCreate(tenant_id="route-b", name="b"), ADMIN)
    good = signer(tenancy_settings).sign("route-a", "doc-1", ttl_s=600)
    payload, mac = good.split(".")
    refused = {
        "tampered mac": f"{payload}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}",
        "expired": signer(tenancy_settings, skew_s=-700).sign("route-a", "doc-1", ttl_s=600),
        "other secret": MediaLinkSigner(SecretStr("some-other-secret-0123456789")).sign(
            "route-a", "doc-1", ttl_s=600
        ),
        # Tenant B's valid token naming A's media id: B's scope sees no such row.
        "other tenant": signer(tenancy_settings).sign("route-b", "doc-1", ttl_s=600),
        "unknown media": signer(tenancy_settings).sign("route-a", "doc-2", ttl_s=600),
        "garbage": "not-a-token",
    }
    answers = {}
    for case, token in refused.items():
        response = await client.get(f"/media/{token}")
        answers[case] = (response.status, await response.json())
    assert {status for status, _ in answers.values()} == {404}, answers
    assert len({str(body) for _, body in answers.values()}) == 1, answers
