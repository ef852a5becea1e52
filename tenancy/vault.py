"""A small async face on hvac, whose client is synchronous (requests).

Calls run in a worker thread so the event loop never blocks on Vault. One client per
process, created in its lifespan; the token never appears in logs or reprs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import hvac
import hvac.exceptions

from tenancy.errors import TenancyError
from tenancy.settings import VaultSettings

log = logging.getLogger(__name__)


class VaultUnavailableError(TenancyError):
    """Vault cannot be reached, is sealed, or refuses our token."""

    retriable = True
    code = "vault_unavailable"


class _MissingError(Exception):
    """Internal: the KV path has no live version."""


@dataclass(frozen=True)
class KvVersion:
    """Metadata of one KV v2 version."""

    version: int
    created_time: datetime

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> KvVersion:
        """Parse Vault's ``{"version": 3, "created_time": "2024-...Z"}``."""
        return cls(
            version=int(metadata["version"]),
            created_time=datetime.fromisoformat(metadata["created_time"].replace("Z", "+00:00")),
        )


class VaultClient:
    """Async wrapper around one ``hvac.Client``."""

    def __init__(self, settings: VaultSettings) -> None:
        self._settings = settings
        self._hvac: Any = hvac.Client(
            url=settings.url,
            token=settings.token.get_secret_value(),
            timeout=settings.timeout_s,
        )

    def __repr__(self) -> str:
        return f"VaultClient(url={self._settings.url!r})"

    async def check(self) -> None:
        """Raise ``VaultUnavailableError`` unless Vault is unsealed and accepts our token."""
        await asyncio.to_thread(self._check_sync)

    def _check_sync(self) -> None:
        try:
            sealed = self._hvac.sys.is_sealed()
            authenticated = self._hvac.is_authenticated()
        except Exception as exc:  # requests/hvac raise many kinds; all mean "not usable"
            raise VaultUnavailableError(f"vault at {self._settings.url}: {exc}") from exc
        if sealed:
            raise VaultUnavailableError(f"vault at {self._settings.url} is sealed")
        if not authenticated:
            raise VaultUnavailableError(f"vault at {self._settings.url} rejects our token")

    async def kv_write(self, path: str, data: dict[str, Any]) -> KvVersion:
        """Write a new version of the KV v2 secret at ``path`` (under the configured mount)."""
        response = await self._call(
            self._hvac.secrets.kv.v2.create_or_update_secret,
            path=path,
            secret=data,
            mount_point=self._settings.kv_mount,
        )
        return KvVersion.from_metadata(response["data"])

    async def kv_read(self, path: str) -> tuple[dict[str, Any], KvVersion] | None:
        """The latest version's data and metadata, or None when nothing (live) is there."""
        try:
            response = await self._call(
                self._hvac.secrets.kv.v2.read_secret_version,
                path=path,
                mount_point=self._settings.kv_mount,
                raise_on_deleted_version=True,
            )
        except _MissingError:
            return None
        return response["data"]["data"], KvVersion.from_metadata(response["data"]["metadata"])

    async def kv_delete_all(self, path: str) -> None:
        """Destroy every version and the metadata at ``path`` (idempotent)."""
        try:
            await self._call(
                self._hvac.secrets.kv.v2.delete_metadata_and_all_versions,
                path=path,
                mount_point=self._settings.kv_mount,
            )
        except _MissingError:
            return

    async def _call(self, method: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(method, **kwargs)
        except hvac.exceptions.InvalidPath as exc:
            raise _MissingError from exc
        except Exception as exc:  # requests/hvac raise many kinds; all mean "not usable now"
            # The message names the failure only: hvac errors never carry the request body.
            raise VaultUnavailableError(
                f"vault {type(exc).__name__} at {self._settings.url}"
            ) from exc

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._hvac.adapter.close()


@asynccontextmanager
async def vault_client(settings: VaultSettings) -> AsyncIterator[VaultClient]:
    """The process's Vault client, closed on exit."""
    client = VaultClient(settings)
    log.info("vault client ready", extra={"vault_url": settings.url})
    try:
        yield client
    finally:
        client.close()
