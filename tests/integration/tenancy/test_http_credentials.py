"""Credentials: Vault holds them; PostgreSQL, logs and responses never do."""

from __future__ import annotations

import logging
import os
import subprocess

import hvac
import pytest

from pipeline.settings import WagenSettings
from tests.integration.tenancy.conftest import ADMIN, Client, VendorSims, create_tenant

APP_SECRET = "app-secret-7f3a9c1e5b2d4f60"
ACCESS_TOKEN = "EAAG-access-token-91c2d3e4f5a6b7c8"
GENESYS_SECRET = "genesys-client-secret-0a1b2c3d4e"
WEBHOOK_SECRET = "genesys-webhook-secret-5e6f7a8b9c"
SECRETS = (APP_SECRET, ACCESS_TOKEN, GENESYS_SECRET, WEBHOOK_SECRET)

META = {
    "appSecret": APP_SECRET,
    "verifyToken": "verify-me",
    "accessToken": ACCESS_TOKEN,
    "phoneNumberId": "106540352242922",
    "wabaId": "102290129340398",
}
GENESYS = {
    "clientId": "3c1a6e0f-client",
    "clientSecret": GENESYS_SECRET,
    "region": "mypurecloud.de",
    "integrationId": "8b2d5e1c-integration",
    "outboundWebhookSecret": WEBHOOK_SECRET,
}


@pytest.fixture
def accounts(vendor_sims: VendorSims) -> VendorSims:
    """The tenant's accounts at Meta (number and token) and Genesys (client, integration)."""
    vendor_sims.meta_number(META["phoneNumberId"], ACCESS_TOKEN, waba_id=META["wabaId"])
    vendor_sims.genesys_client(GENESYS["clientId"], GENESYS_SECRET)
    vendor_sims.genesys_integration(GENESYS["integrationId"], WEBHOOK_SECRET)
    return vendor_sims


def _pg_dump(dsn: str) -> str:
    """A full data dump as the app role: RLS stays on, seen through the platform scope."""
    done = subprocess.run(
        ["pg_dump", "--data-only", "--enable-row-security", dsn],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGOPTIONS": "-c wagen.scope=platform"},
    )
    return done.stdout


async def test_credentials_live_in_vault_only(
    client: Client,
    tenancy_settings: WagenSettings,
    caplog: pytest.LogCaptureFixture,
    accounts: VendorSims,
) -> None:
    caplog.set_level(logging.DEBUG)
    await create_tenant(client, "alpha")
    texts: list[str] = []
    for kind, creds in (("meta", META), ("genesys", GENESYS)):
        response = await client.post(
            "/tenants/alpha/credentials", json={"type": kind, "credentials": creds}, headers=ADMIN
        )
        texts.append(await response.text())
        assert response.status == 201, texts[-1]
        body = await response.json()
        assert set(body) == {"type", "version", "updatedAt", "fingerprint", "genesys", "meta"}
        assert body["version"] == 1
    listing = await client.get("/tenants/alpha/credentials", headers=ADMIN)
    texts.append(await listing.text())
    assert [c["type"] for c in (await listing.json())["items"]] == ["meta", "genesys"]
    audit = await client.get("/tenants/alpha/audit", headers=ADMIN)
    texts.append(await audit.text())

    # Vault holds it, at the per-tenant path.
    vault = tenancy_settings.vault
    raw = hvac.Client(url=vault.url, token=vault.token.get_secret_value())
    try:
        stored = raw.secrets.kv.v2.read_secret_version(
            path=f"{vault.tenant_prefix}/alpha/meta",
            mount_point=vault.kv_mount,
            raise_on_deleted_version=True,
        )
    finally:
        raw.adapter.close()
    assert stored["data"]["data"]["appSecret"] == APP_SECRET

    dump = _pg_dump(tenancy_settings.postgres.dsn.get_secret_value())
    assert "alpha" in dump  # the dump is real and has the tenant's rows
    logs = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in SECRETS:
        assert secret not in dump, "PostgreSQL holds a secret"
        assert secret not in logs, "a log line holds a secret"
        assert all(secret not in text for text in texts), "a response holds a secret"


async def test_rotation_is_a_new_version_with_a_new_fingerprint(
    client: Client, accounts: VendorSims
) -> None:
    await create_tenant(client, "alpha")
    url, body = "/tenants/alpha/credentials", {"type": "meta", "credentials": META}
    first = await (await client.post(url, json=body, headers=ADMIN)).json()
    same = await (await client.post(url, json=body, headers=ADMIN)).json()
    rotated_creds = {**META, "appSecret": "rotated-secret"}
    rotated = await (
        await client.post(url, json={"type": "meta", "credentials": rotated_creds}, headers=ADMIN)
    ).json()
    assert [first["version"], same["version"], rotated["version"]] == [1, 2, 3]
    assert first["fingerprint"] == same["fingerprint"] != rotated["fingerprint"]
    listed = (await (await client.get(url, headers=ADMIN)).json())["items"]
    assert listed == [{k: rotated[k] for k in ("type", "version", "updatedAt", "fingerprint")}]


@pytest.mark.parametrize(
    ("kind", "creds"),
    [
        ("meta", {k: v for k, v in META.items() if k != "accessToken"}),
        ("meta", {**META, "phoneNumberId": APP_SECRET}),
        ("meta", {**META, "unexpected": APP_SECRET}),
        ("genesys", {**GENESYS, "region": f"not a region {GENESYS_SECRET}"}),
        ("genesys", META),
    ],
)
async def test_invalid_credentials_are_400_without_echoing_values(
    client: Client, kind: str, creds: dict[str, str]
) -> None:
    await create_tenant(client, "alpha")
    response = await client.post(
        "/tenants/alpha/credentials", json={"type": kind, "credentials": creds}, headers=ADMIN
    )
    text = await response.text()
    assert response.status == 400, text
    assert (await response.json())["error"]["code"] == "invalid_request"
    assert all(secret not in text for secret in SECRETS)


async def test_credentials_of_an_unknown_tenant_are_404(client: Client) -> None:
    response = await client.post(
        "/tenants/nobody/credentials", json={"type": "meta", "credentials": META}, headers=ADMIN
    )
    assert response.status == 404
