"""The onboarding service of a process: vendor clients on their own HTTP pool, over the
process's shared stores. The gateway, the CLI and sandbox mode all build it here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from connectors.http import HttpTransport
from pipeline.metrics.connectors import CONNECTOR_OBSERVER
from pipeline.runtime.resources import Resources
from pipeline.settings import WagenSettings
from tenancy.activity import WebhookActivity
from tenancy.onboarding.service import Onboarding
from tenancy.onboarding.vendors import Vendors
from tenancy.services import Tenancy


@asynccontextmanager
async def open_onboarding(
    settings: WagenSettings, resources: Resources, tenancy: Tenancy
) -> AsyncIterator[Onboarding]:
    """The onboarding service for a lifespan; its pool and pending notes closed after."""
    async with HttpTransport(observer=CONNECTOR_OBSERVER) as transport:
        activity = WebhookActivity(resources.redis, settings.tenancy.redis_prefix)
        vendors = Vendors(transport, settings.meta, settings.genesys)
        try:
            yield Onboarding(tenancy, vendors, settings.onboarding, resources.redis, activity)
        finally:
            await activity.close()
