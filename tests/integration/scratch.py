"""Removing what a test run (or a bench run) created in the shared stores: its database,
its tenants' Vault credentials. Used by the test fixtures and by ``bench``."""

from __future__ import annotations

import asyncio

import asyncpg
import hvac
import hvac.exceptions

from pipeline.settings import WagenSettings


async def drop_database(admin: asyncpg.Connection, name: str) -> None:
    """Drop a scratch database that a worker or pool may still be connected to.

    Not ``WITH (FORCE)``: that also tries to terminate autovacuum workers, which the
    unprivileged app role may not signal. Our own sessions are ended first; PostgreSQL
    cancels autovacuum on the database by itself.
    """
    for _ in range(50):
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()",
            name,
        )
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except asyncpg.ObjectInUseError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"scratch database {name} is still in use")


def destroy_vault_tree(settings: WagenSettings) -> None:
    """Delete every tenant's credentials under the settings' Vault tenant prefix."""
    vault = settings.vault
    raw = hvac.Client(url=vault.url, token=vault.token.get_secret_value())
    kv, mount, root = raw.secrets.kv.v2, vault.kv_mount, vault.tenant_prefix
    try:
        tenants = kv.list_secrets(path=root, mount_point=mount)["data"]["keys"]
    except hvac.exceptions.InvalidPath:
        tenants = []
    for tenant in tenants:
        for kind in ("meta", "genesys"):
            kv.delete_metadata_and_all_versions(path=f"{root}/{tenant}{kind}", mount_point=mount)
    raw.adapter.close()
