"""``wagen tenants ...`` as an operator runs it: a real process over the real stores."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import asyncpg

from pipeline.settings import WagenSettings
from tenancy.credential_models import GenesysCredentials
from tenancy.db.scope import tenant_tx
from tenancy.services import Tenancy
from tenancy.vault import VaultClient
from tests.integration.tenancy.conftest import Client, VendorSims

WAGEN = [sys.executable, "-m", "pipeline"]


async def _wagen(settings: WagenSettings, *args: str, stdin: str = "") -> tuple[int, str, str]:
    env = {
        **os.environ,
        "WAGEN_POSTGRES_DSN": settings.postgres.dsn.get_secret_value(),
        "WAGEN_VAULT_TENANT_PREFIX": settings.vault.tenant_prefix,
        "WAGEN_TENANCY_REDIS_PREFIX": settings.tenancy.redis_prefix,
        # The vendors are the test's simulators; nothing listens on the public URL.
        "WAGEN_META_GRAPH_URL": settings.meta.graph_url,
        "WAGEN_GENESYS_LOGIN_URL": settings.genesys.login_url or "",
        "WAGEN_GENESYS_API_URL": settings.genesys.api_url or "",
        "WAGEN_ONBOARDING_PUBLIC_URL": settings.onboarding.public_url,
        "WAGEN_ONBOARDING_GENESYS_POLL_INTERVAL_S": "0.05",
    }
    proc = await asyncio.create_subprocess_exec(
        *WAGEN,
        "tenants",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(stdin.encode())
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _rows(out: str) -> list[dict[str, Any]]:
    """A ``--json`` listing: one JSON object per line."""
    return [json.loads(line) for line in out.splitlines() if line.strip()]


async def test_create_list_show_suspend_keys_credentials(
    tenancy_settings: WagenSettings, vault: VaultClient, vendor_sims: VendorSims
) -> None:
    s = tenancy_settings
    code, out, _ = await _wagen(s, "create", "alpha", "--name", "Alpha", "--subdomain", "alpha")
    assert code == 0
    assert "api key (shown once): wk_" in out
    code, out, _ = await _wagen(s, "list", "--json")
    assert code == 0
    assert [t["tenantId"] for t in _rows(out)] == ["alpha"]
    code, out, _ = await _wagen(s, "suspend", "alpha")
    assert (code, out.strip()) == (0, "alpha: suspended")
    code, out, _ = await _wagen(s, "show", "alpha", "--json")
    assert json.loads(out)["status"] == "suspended"

    code, out, _ = await _wagen(s, "keys", "create", "alpha", "--name", "ci", "--json")
    key = json.loads(out)
    code, out, _ = await _wagen(s, "keys", "revoke", "alpha", key["keyId"])
    assert code == 0
    code, out, _ = await _wagen(s, "keys", "list", "alpha", "--json")
    assert [k["prefix"] for k in _rows(out) if k["revokedAt"]] == [key["prefix"]]

    vendor_sims.genesys_client("c", "cli-secret-xyz")
    creds = {"clientId": "c", "clientSecret": "cli-secret-xyz", "region": "mypurecloud.com"}
    code, out, err = await _wagen(
        s, "credentials", "set", "alpha", "genesys", stdin=json.dumps(creds)
    )
    assert code == 0, err
    assert "cli-secret-xyz" not in out + err
    assert "provisioning=created" in out, out
    code, out, _ = await _wagen(s, "credentials", "list", "alpha", "--json")
    assert [c["type"] for c in _rows(out)] == ["genesys"]


async def test_exit_codes(tenancy_settings: WagenSettings) -> None:
    assert (await _wagen(tenancy_settings, "show", "nobody"))[0] == 1
    assert (await _wagen(tenancy_settings, "create", "Bad Id!", "--name", "x"))[0] == 2
    assert (await _wagen(tenancy_settings, "create", "ok", "--name", "x", "--plan", "gold"))[0] == 2
    bad_json = await _wagen(tenancy_settings, "credentials", "set", "ok", "meta", stdin="nope")
    assert bad_json[0] == 2


async def test_migrate_default_is_idempotent(
    tenancy_settings: WagenSettings, pool: asyncpg.Pool
) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE SCHEMA legacy; "
            "CREATE TABLE legacy.conversation_mappings (wa_id text, contact_name text); "
            "INSERT INTO legacy.conversation_mappings "
            "VALUES ('15550001', 'Ann'), ('15550002', 'Bo')"
        )
    code, out, err = await _wagen(tenancy_settings, "migrate-default")
    assert code == 0, err
    assert "created tenant default" in out
    assert "conversation_mappings: 2 rows moved" in out
    code, out, _ = await _wagen(tenancy_settings, "migrate-default")
    assert code == 0
    assert "tenant default exists" in out
    assert "conversation_mappings: 0 rows moved" in out
    async with tenant_tx(pool, "default") as conn:
        names = await conn.fetch("SELECT contact_name FROM conversation_mappings ORDER BY wa_id")
    assert [r["contact_name"] for r in names] == ["Ann", "Bo"]


async def test_doctor_rotate_remove_and_delete_from_the_shell(
    tenancy_settings: WagenSettings, vendor_sims: VendorSims, client: Client, tenancy: Tenancy
) -> None:
    s = tenancy_settings
    assert (await _wagen(s, "create", "alpha", "--name", "Alpha"))[0] == 0
    vendor_sims.meta_number("106540352242922", "EAAG-cli-token", waba_id="31")
    vendor_sims.genesys_client("cli-client", "cli-client-secret")
    meta = {
        "appSecret": "cli-app-secret",
        "verifyToken": "cli-verify",
        "accessToken": "EAAG-cli-token",
        "phoneNumberId": "106540352242922",
    }
    genesys = {"clientId": "cli-client", "clientSecret": "cli-client-secret", "region": "eu-west-1"}
    for kind, creds in (("meta", meta), ("genesys", genesys)):
        code, out, err = await _wagen(
            s, "credentials", "set", "alpha", kind, stdin=json.dumps(creds)
        )
        assert code == 0, err
        assert creds["clientSecret" if kind == "genesys" else "appSecret"] not in out + err

    code, out, err = await _wagen(s, "doctor", "alpha")
    assert code == 0, out + err
    assert "alpha: healthy" in out
    assert any(line.startswith("ok") and "genesys.webhook_url" in line for line in out.splitlines())
    code, out, _ = await _wagen(s, "doctor", "alpha", "--json")
    rows = _rows(out)
    assert code == 0
    assert {r["name"] for r in rows} >= {"genesys.token", "meta.subscription"}
    assert all(r["tenantId"] == "alpha" for r in rows)

    before = await tenancy.credentials.read("alpha", "genesys")
    assert isinstance(before, GenesysCredentials)
    code, out, err = await _wagen(s, "credentials", "rotate", "alpha", "genesys")
    assert code == 0, err
    assert "previous secret accepted until" in out
    after = await tenancy.credentials.read("alpha", "genesys")
    assert isinstance(after, GenesysCredentials)
    assert after.outbound_webhook_secret != before.outbound_webhook_secret
    integration = vendor_sims.genesys.integrations[after.integration_id]
    assert integration.webhook_secret == after.outbound_webhook_secret
    assert after.outbound_webhook_secret not in out + err

    del vendor_sims.genesys.integrations[after.integration_id]  # someone deleted it in Genesys
    code, out, _ = await _wagen(s, "doctor", "alpha")
    assert code == 1
    assert "alpha: unhealthy" in out
    code, out, err = await _wagen(s, "credentials", "remove", "alpha", "genesys")
    assert code == 0, err
    assert "already gone" in out
    code, out, err = await _wagen(s, "delete", "alpha", "--keep-vendor")
    assert (code, out.splitlines()[0]) == (0, "alpha: deleted"), err
    assert vendor_sims.meta.subscriptions["31"]  # kept, as asked
