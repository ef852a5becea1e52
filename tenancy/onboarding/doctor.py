"""The doctor: every connection of a tenant checked live, now, one row per check.

``failed`` rows make the tenant unhealthy (the CLI exits 1); ``skipped`` rows could not run
because an earlier one failed (no credentials, no token); ``info`` rows report facts — the
last webhook per source, the last delivery error — and never fail.

Checks: Vault entries readable; Genesys token (fetched now), integration exists, is active
(``createStatus: Completed``) and its webhook URL is the tenant's wagen route; Meta token
valid, number reachable and ``CONNECTED``, and the WABA's subscription of the app points at
the tenant's route.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import redis.exceptions

from connectors.errors import ConnectorError
from tenancy.activity import SOURCES, WebhookActivity
from tenancy.credential_models import GenesysCredentials, MetaCredentials
from tenancy.credentials import CredentialService
from tenancy.db.scope import tenant_tx
from tenancy.errors import TenancyError
from tenancy.onboarding.meta import subscribed_override
from tenancy.onboarding.models import CheckStatus, HealthCheck, HealthReport
from tenancy.onboarding.vendors import Vendors, meta_auth
from tenancy.settings import OnboardingSettings

CHECK_TIMEOUT_S = 20.0
"""Longest any one vendor's checks may take (a hung vendor is a failed check)."""


def _row(name: str, status: CheckStatus, detail: str, at: datetime | None = None) -> HealthCheck:
    return HealthCheck(name=name, status=status, detail=detail, at=at)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, TenancyError | ConnectorError):
        return f"{exc.code}: {exc.message}"
    if isinstance(exc, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT_S:g}s"
    return type(exc).__name__


class Doctor:
    """Runs the checks of one tenant."""

    def __init__(
        self,
        credentials: CredentialService,
        vendors: Vendors,
        settings: OnboardingSettings,
        activity: WebhookActivity,
        pool: asyncpg.Pool,
    ) -> None:
        self._credentials = credentials
        self._vendors = vendors
        self._settings = settings
        self._activity = activity
        self._pool = pool

    async def examine(self, tenant_id: str) -> HealthReport:
        """Every check, Genesys and Meta side by side."""
        genesys, meta, facts = await asyncio.gather(
            self._guarded("genesys", lambda: self._genesys(tenant_id)),
            self._guarded("meta", lambda: self._meta(tenant_id)),
            self._facts(tenant_id),
        )
        checks = [*genesys, *meta, *facts]
        return HealthReport(
            tenant_id=tenant_id,
            healthy=all(c.status != "failed" for c in checks),
            checked_at=datetime.now(UTC),
            checks=checks,
        )

    async def _guarded(
        self, kind: str, run: Callable[[], Awaitable[list[HealthCheck]]]
    ) -> list[HealthCheck]:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                return await run()
        except (TimeoutError, TenancyError, ConnectorError, OSError) as exc:
            return [_row(f"{kind}.checks", "failed", _failure(exc))]

    async def _genesys(self, tenant_id: str) -> list[HealthCheck]:
        stored = await self._credentials.read(tenant_id, "genesys")
        if not isinstance(stored, GenesysCredentials):
            return [_row("vault.genesys", "failed", "no genesys credentials stored")]
        rows = [_row("vault.genesys", "ok", f"integration {stored.integration_id}")]
        tenant = self._vendors.genesys_tenant(
            tenant_id, stored.client_id, stored.client_secret, stored.region, stored.integration_id
        )
        session = self._vendors.genesys()
        try:
            await session.token(tenant)
        except ConnectorError as exc:
            rows.append(_row("genesys.token", "failed", _failure(exc)))
            return rows + [_row(n, "skipped", "no token") for n in _GENESYS_AFTER_TOKEN]
        rows.append(_row("genesys.token", "ok", f"client {stored.client_id} got a token"))
        try:
            found = await session.integrations.get(tenant, stored.integration_id)
        except ConnectorError as exc:
            return [*rows, _row("genesys.integration", "failed", _failure(exc))]
        if found is None:
            rows.append(_row("genesys.integration", "failed", "Genesys has no such integration"))
            return rows + [_row(n, "skipped", "no integration") for n in _GENESYS_AFTER_TOKEN[1:]]
        rows.append(_row("genesys.integration", "ok", f"{found.name!r} exists"))
        active = found.create_status in (None, "Completed")
        rows.append(
            _row(
                "genesys.integration_active",
                "ok" if active else "failed",
                f"createStatus {found.create_status or 'not reported'}",
            )
        )
        expected = self._settings.genesys_webhook_url(tenant_id)
        actual = found.outbound_notification_webhook_url
        rows.append(
            _row(
                "genesys.webhook_url",
                "ok" if actual == expected else "failed",
                f"points here ({expected})"
                if actual == expected
                else f"points at {actual!r}, not {expected}",
            )
        )
        return rows

    async def _meta(self, tenant_id: str) -> list[HealthCheck]:
        stored = await self._credentials.read(tenant_id, "meta")
        if not isinstance(stored, MetaCredentials):
            return [_row("vault.meta", "failed", "no meta credentials stored")]
        rows = [_row("vault.meta", "ok", f"number {stored.phone_number_id}")]
        auth = meta_auth(tenant_id, stored.access_token, stored.phone_number_id)
        business = self._vendors.meta
        try:
            token = await business.token(auth)
        except ConnectorError as exc:
            rows.append(_row("meta.token", "failed", _failure(exc)))
            return rows + [_row(n, "skipped", "no valid token") for n in _META_AFTER_TOKEN]
        rows.append(
            _row("meta.token", "ok" if token.is_valid else "failed", f"valid: {token.is_valid}")
        )
        try:
            info = await business.phone_number(auth)
        except ConnectorError as exc:
            rows.append(_row("meta.phone_number", "failed", _failure(exc)))
        else:
            connected = info.status in (None, "CONNECTED")
            detail = (
                f"{info.display_phone_number} ({info.verified_name}), status "
                f"{info.status or 'not reported'}, quality {info.quality_rating}, throughput "
                f"{info.throughput.level if info.throughput else None}"
            )
            rows.append(_row("meta.phone_number", "ok" if connected else "failed", detail))
        rows.append(await self._subscription(tenant_id, stored, token.app_id))
        return rows

    async def _subscription(
        self, tenant_id: str, stored: MetaCredentials, app_id: str | None
    ) -> HealthCheck:
        if stored.waba_id is None:
            return _row("meta.subscription", "failed", "no WABA known: store the credentials again")
        auth = meta_auth(tenant_id, stored.access_token, stored.phone_number_id)
        try:
            apps = await self._vendors.meta.subscriptions(auth, stored.waba_id)
        except ConnectorError as exc:
            return _row("meta.subscription", "failed", _failure(exc))
        expected = self._settings.meta_webhook_url(tenant_id)
        override = subscribed_override(apps, app_id)
        if override == expected:
            return _row("meta.subscription", "ok", f"WABA {stored.waba_id} sends here")
        if override is None:
            return _row("meta.subscription", "failed", f"app not subscribed to {stored.waba_id}")
        return _row(
            "meta.subscription", "failed", f"WABA callback is {override or 'the app default'!r}"
        )

    async def _facts(self, tenant_id: str) -> list[HealthCheck]:
        rows: list[HealthCheck] = []
        try:
            last = await self._activity.last_received(tenant_id)
        except (redis.exceptions.RedisError, OSError) as exc:
            last = {}
            rows.append(_row("webhooks", "info", f"cannot read: {type(exc).__name__}"))
        for source in SOURCES if last else ():
            at = last.get(source)
            rows.append(
                _row(
                    f"webhooks.{source}",
                    "info",
                    f"last {source} webhook received" if at else "none in 30 days",
                    at,
                )
            )
        rows.append(await self._last_error(tenant_id))
        return rows

    async def _last_error(self, tenant_id: str) -> HealthCheck:
        async with tenant_tx(self._pool, tenant_id) as conn:
            row = await conn.fetchrow(
                "SELECT direction, wa_id, error, updated_at FROM message_tracking "
                "WHERE tenant_id = $1 AND error IS NOT NULL ORDER BY updated_at DESC LIMIT 1",
                tenant_id,
            )
        if row is None:
            return _row("delivery.last_error", "info", "no delivery error recorded")
        error = json.loads(row["error"]) if isinstance(row["error"], str) else row["error"]
        said = error.get("error") or error.get("error_code") if isinstance(error, dict) else error
        detail = f"{row['direction']} message to {row['wa_id']}: {said}"
        return _row("delivery.last_error", "info", detail, row["updated_at"])


_GENESYS_AFTER_TOKEN = ("genesys.integration", "genesys.integration_active", "genesys.webhook_url")
_META_AFTER_TOKEN = ("meta.phone_number", "meta.subscription")
