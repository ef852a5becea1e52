"""Genesys OAuth client-credentials tokens: one cached token per tenant OAuth client.

* **Cache** keyed by tenant, login host and client id; a token is used until shortly before
  it expires (``token_refresh_margin_s``, at most half its lifetime), then fetched anew.
* **Single flight**: one lock per key, so a hundred concurrent callers for one tenant make
  one token request and the rest reuse its answer.
* **After a 401**: :meth:`GenesysTokenCache.refresh` fetches a new token unless another caller
  already replaced the stale one, so a burst of 401s still makes one request.

The cache is in-process (:class:`MemoryTokenStore`) behind the :class:`TokenStore` protocol.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

from pydantic import ValidationError

from connectors.genesys.errors import (
    GenesysCredentialsError,
    GenesysRetryableError,
    classify_genesys_error,
)
from connectors.genesys.regions import GenesysEndpoints
from connectors.http import HttpTransport, new_request_id
from connectors.metrics import NULL_OBSERVER, ConnectorObserver
from connectors.retry import call_with_retries
from connectors.settings import GenesysClientSettings
from schemas.genesys.api import OAuthErrorBody, TokenResponse

VENDOR: Final = "genesys"

TokenKey = tuple[str, str, str]
"""(tenant id, login URL, client id): one cached token each."""


@dataclass(frozen=True, slots=True)
class GenesysTenant:
    """A tenant's Genesys OAuth client and integration, for one call; secrets never in reprs.

    Attributes:
        client_id: the OAuth client (client credentials grant).
        client_secret: its secret.
        integration_id: the Open Messaging integration (path of every inbound call).
        endpoints: where the calls go (region hosts, or an override).
        tenant_id: our tenant, for the cache key, errors and logs.
    """

    client_id: str
    client_secret: str = field(repr=False)
    integration_id: str
    endpoints: GenesysEndpoints
    tenant_id: str = ""

    @property
    def token_key(self) -> TokenKey:
        """The cache key of this tenant's token."""
        return (self.tenant_id, self.endpoints.login_url, self.client_id)


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token and when it stops being used (on the cache's clock)."""

    value: str = field(repr=False)
    refresh_at: float


class TokenStore(Protocol):
    """Where tokens are cached between calls."""

    def get(self, key: TokenKey) -> AccessToken | None:
        """The cached token, if any."""

    def put(self, key: TokenKey, token: AccessToken) -> None:
        """Cache a token."""


class MemoryTokenStore:
    """Tokens in this process's memory."""

    def __init__(self) -> None:
        self._tokens: dict[TokenKey, AccessToken] = {}

    def get(self, key: TokenKey) -> AccessToken | None:
        """The cached token, if any."""
        return self._tokens.get(key)

    def put(self, key: TokenKey, token: AccessToken) -> None:
        """Cache a token."""
        self._tokens[key] = token


class GenesysTokenCache:
    """Fetches and caches client-credentials tokens for every tenant.

    Args:
        transport: the shared HTTP pool.
        settings: timeouts, refresh margin and retry schedule.
        store: where tokens live (in memory by default).
        clock: monotonic seconds (tests pass a controllable one).
        observer: told of every token fetch's outcome (metrics).
    """

    def __init__(
        self,
        transport: HttpTransport,
        settings: GenesysClientSettings,
        *,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.monotonic,
        observer: ConnectorObserver = NULL_OBSERVER,
    ) -> None:
        self._transport = transport
        self._observer = observer
        self._settings = settings
        self._store: TokenStore = store or MemoryTokenStore()
        self._clock = clock
        self._locks: dict[TokenKey, asyncio.Lock] = {}

    async def token(self, tenant: GenesysTenant) -> str:
        """A valid bearer token for ``tenant``: cached, or fetched once for all waiters."""
        cached = self._usable(tenant.token_key)
        if cached is not None:
            return cached
        async with self._lock(tenant.token_key):
            # Whoever held the lock before us may have fetched it already.
            cached = self._usable(tenant.token_key)
            if cached is not None:
                return cached
            return await self._fetch_and_store(tenant)

    async def refresh(self, tenant: GenesysTenant, stale: str) -> str:
        """A token other than ``stale`` (which Genesys just refused with a 401).

        Fetches a new one unless a concurrent caller already replaced ``stale``.
        """
        async with self._lock(tenant.token_key):
            current = self._store.get(tenant.token_key)
            if current is not None and current.value != stale and self._fresh(current):
                return current.value
            return await self._fetch_and_store(tenant)

    def _lock(self, key: TokenKey) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def _fresh(self, token: AccessToken) -> bool:
        return self._clock() < token.refresh_at

    def _usable(self, key: TokenKey) -> str | None:
        token = self._store.get(key)
        return token.value if token is not None and self._fresh(token) else None

    async def _fetch_and_store(self, tenant: GenesysTenant) -> str:
        requested_at = self._clock()
        try:
            answer = await self._fetch(tenant)
        except Exception as exc:
            refused = isinstance(exc, GenesysCredentialsError)
            self._observer.token_fetch("refused" if refused else "failed", tenant.tenant_id)
            raise
        self._observer.token_fetch("ok", tenant.tenant_id)
        margin = min(self._settings.token_refresh_margin_s, answer.expires_in / 2)
        token = AccessToken(answer.access_token, requested_at + answer.expires_in - margin)
        self._store.put(tenant.token_key, token)
        return token.value

    async def _fetch(self, tenant: GenesysTenant) -> TokenResponse:
        basic = base64.b64encode(f"{tenant.client_id}:{tenant.client_secret}".encode()).decode()
        headers = {
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        url = f"{tenant.endpoints.login_url}/oauth/token"
        request_id = new_request_id()

        async def attempt(_number: int) -> TokenResponse:
            response = await self._transport.request(
                "POST",
                url,
                vendor=VENDOR,
                operation="token",
                timeout_s=self._settings.token_timeout_s,
                request_id=request_id,
                headers=headers,
                data=b"grant_type=client_credentials",
                max_bytes=64 * 1024,
                tenant_id=tenant.tenant_id,
            )
            if response.status in (400, 401):
                raise _credentials_error(response.status, response.body, tenant)
            if not response.ok:
                raise classify_genesys_error(
                    response.status, response.body, response.headers, tenant_id=tenant.tenant_id
                )
            try:
                return TokenResponse.model_validate_json(response.body)
            except ValidationError as exc:
                raise GenesysRetryableError(
                    "Genesys token answer without an access_token",
                    http_status=response.status,
                    reason="unexpected token answer",
                    tenant_id=tenant.tenant_id,
                ) from exc

        return await call_with_retries(
            attempt, self._settings.retry, idempotent=True, what="genesys token"
        )


def _credentials_error(status: int, body: bytes, tenant: GenesysTenant) -> GenesysCredentialsError:
    try:
        oauth = OAuthErrorBody.model_validate_json(body)
        code: str | None = oauth.error
        detail = oauth.error_description or oauth.description or oauth.error
    except ValidationError:
        code, detail = None, "no OAuth error body"
    return GenesysCredentialsError(
        f"Genesys refused the OAuth client {tenant.client_id!r}: {detail}",
        http_status=status,
        genesys_code=code,
        reason="client credentials refused by the token endpoint",
        alert=True,
        tenant_id=tenant.tenant_id,
    )
