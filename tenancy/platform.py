"""The operator's own secrets: the shared Meta app, and the media store's S3 access key.

Like tenant credentials they live in Vault only, under ``<platform_prefix>/``:

* ``meta-app`` — the shared Meta app some operators run for all tenants; the shared-app
  webhook route verifies signatures with its app secret and then resolves each change's
  tenant from the business number it names;
* ``media-s3`` — the access key of the S3 media backend (``wagen media s3-credentials set``).
"""

from __future__ import annotations

from pydantic import Field, ValidationError

from tenancy.errors import InvalidRequestError
from tenancy.models import ApiModel
from tenancy.settings import VaultSettings
from tenancy.vault import KvVersion, VaultClient


class SharedMetaApp(ApiModel):
    """The shared Meta app: it signs webhooks and answers the subscription handshake."""

    app_secret: str = Field(min_length=1, max_length=500)
    verify_token: str = Field(min_length=1, max_length=500)


class MediaS3Credentials(ApiModel):
    """The static access key of the S3 media backend (``WAGEN_MEDIA_BACKEND=s3``)."""

    access_key_id: str = Field(min_length=1, max_length=500)
    secret_access_key: str = Field(min_length=1, max_length=500, repr=False)


class PlatformSecrets:
    """Reads and writes the operator's secrets in Vault."""

    def __init__(self, vault: VaultClient, settings: VaultSettings) -> None:
        self._vault = vault
        self._path = f"{settings.platform_prefix.strip('/')}/meta-app"
        self._media_s3_path = f"{settings.platform_prefix.strip('/')}/media-s3"

    async def shared_meta_app(self) -> SharedMetaApp | None:
        """The shared app, or None when the operator runs none."""
        stored = await self._vault.kv_read(self._path)
        return SharedMetaApp.model_validate(stored[0]) if stored else None

    async def set_shared_meta_app(self, data: dict[str, object]) -> int:
        """Store a new version (rotation = a new version); returns the version number."""
        try:
            app = SharedMetaApp.model_validate(data)
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            raise InvalidRequestError(f"invalid shared Meta app: check {fields}") from exc
        version = await self._vault.kv_write(self._path, app.model_dump(by_alias=True))
        return version.version

    async def media_s3_credentials(self) -> tuple[MediaS3Credentials, KvVersion] | None:
        """The S3 media backend's key and its Vault version, or None when none is set."""
        stored = await self._vault.kv_read(self._media_s3_path)
        if stored is None:
            return None
        return MediaS3Credentials.model_validate(stored[0]), stored[1]

    async def set_media_s3_credentials(self, data: dict[str, object]) -> int:
        """Store a new version of the S3 key (rotation = a new version); returns its number."""
        try:
            key = MediaS3Credentials.model_validate(data)
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            raise InvalidRequestError(f"invalid S3 credentials: check {fields}") from exc
        version = await self._vault.kv_write(self._media_s3_path, key.model_dump(by_alias=True))
        return version.version
