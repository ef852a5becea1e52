"""``wagen media``: the media store's operator commands (the S3 backend's access key).

The key lives in Vault only (``<platform_prefix>/media-s3``, see :mod:`tenancy.platform`);
the secret is never taken from arguments (shell history, ``ps``): it is typed at a hidden
prompt, or read as JSON from a file or stdin for scripts. Nothing prints it back.
"""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Any

import click

from pipeline.cli.common import fail, run
from pipeline.cli.context import pass_settings

if TYPE_CHECKING:
    from pipeline.settings import WagenSettings
    from tenancy.platform import MediaS3Credentials


@click.group()
def media() -> None:
    """The media store."""


@media.group("s3-credentials")
def s3_credentials() -> None:
    """The S3 media backend's access key, kept in Vault."""


def _masked(access_key_id: str) -> str:
    return f"…{access_key_id[-4:]}" if len(access_key_id) > 8 else "…"


def _read(source: IO[str] | None) -> MediaS3Credentials:
    from pydantic import ValidationError

    from tenancy.platform import MediaS3Credentials

    try:
        if source is None:
            data: Any = {
                "accessKeyId": click.prompt("S3 access key id").strip(),
                "secretAccessKey": click.prompt("S3 secret access key", hide_input=True).strip(),
            }
        else:
            data = json.load(source)
        return MediaS3Credentials.model_validate(data)
    except (ValueError, ValidationError):
        raise click.UsageError(
            'give a JSON object {"accessKeyId": "...", "secretAccessKey": "..."}, '
            "or no SOURCE to be prompted"
        ) from None


@s3_credentials.command("set")
@click.argument("source", type=click.File("r"), required=False)
@pass_settings
def set_cmd(settings: WagenSettings, source: IO[str] | None) -> None:
    """Store a new version of the key (prompted, or JSON from SOURCE; '-' is stdin).

    The processes read it again within five minutes, or at once after S3 refuses the old one.
    """
    from tenancy.platform import PlatformSecrets
    from tenancy.vault import vault_client

    key = _read(source)

    async def work() -> int:
        async with vault_client(settings.vault) as vault:
            platform = PlatformSecrets(vault, settings.vault)
            return await platform.set_media_s3_credentials(key.model_dump(by_alias=True))

    version = run(settings, work())
    click.echo(f"stored S3 key {_masked(key.access_key_id)} in Vault as version {version}")
    if settings.media.backend != "s3":
        click.echo(
            f"note: WAGEN_MEDIA_BACKEND is {settings.media.backend}; the key is used with s3",
            err=True,
        )


@s3_credentials.command("show")
@pass_settings
def show_cmd(settings: WagenSettings) -> None:
    """The stored key's id (masked), version and time; never the secret."""
    from tenancy.platform import PlatformSecrets
    from tenancy.vault import vault_client

    async def work() -> str | None:
        async with vault_client(settings.vault) as vault:
            stored = await PlatformSecrets(vault, settings.vault).media_s3_credentials()
        if stored is None:
            return None
        key, version = stored
        return (
            f"S3 key {_masked(key.access_key_id)}: version {version.version}, "
            f"set {version.created_time.isoformat()}"
        )

    line = run(settings, work())
    if line is None:
        fail("no S3 credentials in Vault (set them: wagen media s3-credentials set)")
    click.echo(line)
