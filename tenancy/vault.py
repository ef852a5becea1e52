"""A small async face on hvac, whose client is synchronous (requests).

Calls run in a worker thread so the event loop never blocks on Vault. One client per
process, created in its lifespan; the token never appears in logs or reprs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import hvac

from tenancy.errors import TenancyError
from tenancy.settings import VaultSettings

log = logging.getLogger(__name__)


class VaultUnavailableError(TenancyError):
    """Vault cannot be reached, is sealed, or refuses our token."""

    retriable = True
    code = "vault_unavailable"


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
