"""KV v2 on the local OpenBao, as tenant credentials will use it, and our health check."""

from __future__ import annotations

import hvac
import pytest
from pydantic import SecretStr

from pipeline.settings import WagenSettings
from tenancy.settings import VaultSettings
from tenancy.vault import VaultClient, VaultUnavailableError
from tests.conftest import free_port


def test_kv2_write_read_versions(settings: WagenSettings, unique_name: str) -> None:
    client = hvac.Client(url=settings.vault.url, token=settings.vault.token.get_secret_value())
    kv = client.secrets.kv.v2
    path = f"{settings.vault.tenant_prefix}/{unique_name}/meta"
    mount = settings.vault.kv_mount
    try:
        kv.create_or_update_secret(path=path, secret={"appSecret": "one"}, mount_point=mount)
        kv.create_or_update_secret(path=path, secret={"appSecret": "two"}, mount_point=mount)
        latest = kv.read_secret_version(path=path, mount_point=mount, raise_on_deleted_version=True)
        first = kv.read_secret_version(
            path=path, version=1, mount_point=mount, raise_on_deleted_version=True
        )
        assert latest["data"]["data"] == {"appSecret": "two"}
        assert latest["data"]["metadata"]["version"] == 2
        assert first["data"]["data"] == {"appSecret": "one"}
    finally:
        kv.delete_metadata_and_all_versions(path=path, mount_point=mount)
        client.adapter.close()


async def test_health_check_accepts_the_stack(settings: WagenSettings) -> None:
    client = VaultClient(settings.vault)
    try:
        await client.check()
    finally:
        client.close()


@pytest.mark.parametrize("problem", ["bad_token", "no_server"])
async def test_health_check_reports_problems(settings: WagenSettings, problem: str) -> None:
    if problem == "bad_token":
        broken = VaultSettings(url=settings.vault.url, token=SecretStr("not-a-token"))
    else:
        broken = VaultSettings(url=f"http://127.0.0.1:{free_port()}", timeout_s=1)
    client = VaultClient(broken)
    try:
        with pytest.raises(VaultUnavailableError):
            await client.check()
    finally:
        client.close()
