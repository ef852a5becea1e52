"""The steps Genesys onboarding shares: waiting for an integration to become active,
taking back one wagen created, and turning connector failures into the operator's errors."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from connectors.errors import ConnectorError
from connectors.genesys.token import GenesysTenant
from schemas.genesys.integrations import OpenIntegration
from tenancy.onboarding.errors import (
    GenesysIntegrationFailedError,
    GenesysUnavailableError,
    genesys_failure,
)
from tenancy.onboarding.models import GenesysConnection
from tenancy.onboarding.vendors import GenesysSession
from tenancy.settings import OnboardingSettings

log = logging.getLogger(__name__)


async def wait_ready(
    settings: OnboardingSettings,
    session: GenesysSession,
    tenant: GenesysTenant,
    integration: OpenIntegration,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> OpenIntegration:
    """The integration once its creation completed (a 422 if it failed, 503 if too slow)."""
    deadline = monotonic() + settings.genesys_ready_timeout_s
    current = integration
    while current.create_status == "Initiated":
        if monotonic() >= deadline:
            raise GenesysUnavailableError(
                f"Genesys did not finish creating integration {current.id} within "
                f"{settings.genesys_ready_timeout_s:g}s; nothing was kept, retry",
                tenant_id=tenant.tenant_id,
            )
        await sleep(settings.genesys_poll_interval_s)
        async with mapped("read the integration's status", tenant.tenant_id):
            fresh = await session.integrations.get(tenant, current.id)
        if fresh is None:
            raise GenesysIntegrationFailedError(
                f"integration {current.id} disappeared while it was being created",
                tenant_id=tenant.tenant_id,
            )
        current = fresh
    if current.create_status == "Error":
        reason = current.create_error.message if current.create_error else None
        raise GenesysIntegrationFailedError(
            f"Genesys could not create integration {current.id}: {reason or 'no reason'}",
            tenant_id=tenant.tenant_id,
        )
    return current


async def delete_quietly(
    session: GenesysSession,
    tenant: GenesysTenant,
    *,
    integration_id: str | None = None,
    name: str | None = None,
) -> None:
    """Compensation: take back an integration wagen created; a failure is logged only."""
    try:
        if integration_id is None and name is not None:
            found = await session.integrations.find_by_name(tenant, name)
            integration_id = found.id if found else None
        if integration_id is not None:
            await session.integrations.delete(tenant, integration_id)
    except ConnectorError as exc:
        # The next onboarding adopts it by name, so nothing is lost, only left over.
        log.warning(
            "could not delete the integration just created",
            extra={"tenant_id": tenant.tenant_id, "error": exc.code},
        )


def connection(
    integration: OpenIntegration, provisioning: str, *, created_by_wagen: bool
) -> GenesysConnection:
    return GenesysConnection.model_validate(
        {
            "integrationId": integration.id,
            "integrationName": integration.name,
            "webhookUrl": integration.outbound_notification_webhook_url,
            "createStatus": integration.create_status,
            "provisioning": provisioning,
            "createdByWagen": created_by_wagen,
        }
    )


@asynccontextmanager
async def mapped(step: str, tenant_id: str) -> AsyncIterator[None]:
    """Connector failures inside become the operator's 422 or 503 for ``step``."""
    try:
        yield
    except ConnectorError as exc:
        raise genesys_failure(exc, step, tenant_id) from exc
