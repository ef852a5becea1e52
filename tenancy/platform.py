"""The operator's own secrets: the shared Meta app that some operators run for all tenants.

Like tenant credentials they live in Vault only (``<platform_prefix>/meta-app``); the
shared-app webhook route verifies signatures with this app secret and then resolves each
change's tenant from the business number it names.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from tenancy.errors import InvalidRequestError
from tenancy.settings import VaultSettings
from tenancy.vault import VaultClient


class SharedMetaApp(BaseModel):
    """The shared Meta app: it signs webhooks and answers the subscription handshake."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
    )

    app_secret: str = Field(min_length=1, max_length=500)
    verify_token: str = Field(min_length=1, max_length=500)


class PlatformSecrets:
    """Reads and writes the shared Meta app in Vault."""

    def __init__(self, vault: VaultClient, settings: VaultSettings) -> None:
        self._vault = vault
        self._path = f"{settings.platform_prefix.strip('/')}/meta-app"

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
