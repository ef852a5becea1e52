"""``wagen media s3-credentials``: the S3 key goes to Vault from a prompt or stdin, never argv."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.settings import WagenSettings
from tenancy.platform import PlatformSecrets
from tenancy.vault import VaultClient
from tests.integration.media.s3_server import platform_vault

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def platform(settings: WagenSettings, unique_name: str) -> Iterator[PlatformSecrets]:
    """The platform secrets of a Vault path of this test's own, destroyed afterwards.

    The tests are synchronous: the command runs its own event loop, as from a shell.
    """
    vault_settings = platform_vault(settings, unique_name)
    vault = VaultClient(vault_settings)
    try:
        yield PlatformSecrets(vault, vault_settings)
    finally:
        asyncio.run(vault.kv_delete_all(f"{vault_settings.platform_prefix}/media-s3"))
        vault.close()


@pytest.fixture
def env(settings: WagenSettings, unique_name: str) -> dict[str, str]:
    return {"WAGEN_VAULT_PLATFORM_PREFIX": platform_vault(settings, unique_name).platform_prefix}


def test_set_from_prompts_then_rotate_from_stdin_json(
    platform: PlatformSecrets, env: dict[str, str]
) -> None:
    runner = CliRunner()
    typed = runner.invoke(
        cli, ["media", "s3-credentials", "set"], input=f"AKIAWAGENTEST0001\n{SECRET}\n", env=env
    )
    assert typed.exit_code == 0, typed.output
    assert "stored S3 key …0001 in Vault as version 1" in typed.output
    assert SECRET not in typed.output  # the prompt hides it and nothing echoes it back

    rotated_key = {"accessKeyId": "AKIAWAGENTEST0002", "secretAccessKey": SECRET[::-1]}
    rotated = runner.invoke(
        cli, ["media", "s3-credentials", "set", "-"], input=json.dumps(rotated_key), env=env
    )
    assert rotated.exit_code == 0, rotated.output
    stored = asyncio.run(platform.media_s3_credentials())
    assert stored is not None
    key, version = stored
    assert (key.access_key_id, key.secret_access_key, version.version) == (
        "AKIAWAGENTEST0002",
        SECRET[::-1],
        2,
    )
    assert SECRET[::-1] not in repr(key)

    shown = runner.invoke(cli, ["media", "s3-credentials", "show"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "…0002: version 2" in shown.output
    assert SECRET[::-1] not in shown.output


def test_bad_input_and_a_missing_key_are_reported(
    platform: PlatformSecrets, env: dict[str, str]
) -> None:
    runner = CliRunner()
    bad = runner.invoke(
        cli, ["media", "s3-credentials", "set", "-"], input='{"accessKeyId": "x"}', env=env
    )
    assert bad.exit_code == 2
    assert "secretAccessKey" in bad.output
    assert asyncio.run(platform.media_s3_credentials()) is None

    missing = runner.invoke(cli, ["media", "s3-credentials", "show"], env=env)
    assert missing.exit_code == 1
    assert "no S3 credentials in Vault" in missing.output
