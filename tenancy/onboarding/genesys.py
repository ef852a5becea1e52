"""Genesys onboarding: from a client id, secret and region to a live Open Messaging
integration that sends the tenant's agent messages to wagen, signed with a secret only
Vault knows.

Steps, each a 422 naming what to fix or a 503 (see :mod:`tenancy.onboarding.errors`):

1. the region must be a Genesys region or domain;
2. a token is fetched now with the client credentials (a cached one proves nothing);
3. the integration: the ``integrationId`` given, else the one named after the tenant
   (``WAGEN_ONBOARDING_INTEGRATION_NAME``), else a new one;
4. its ``outboundNotificationWebhookUrl`` is set to the tenant's wagen route and its secret
   to the one given or a new one, and wagen waits until ``createStatus`` is ``Completed``.

Nothing is left half-written. A new integration is created in Genesys first and stored in
Vault once active; if anything after its creation fails it is deleted again. An existing
integration is stored in Vault first (the secret it had stays accepted), then changed in
Genesys; if that fails the previous Vault version is restored.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.errors import ConnectorTransportError
from connectors.genesys.token import GenesysTenant
from schemas.genesys.integrations import (
    OpenIntegration,
    OpenIntegrationRequest,
    OpenIntegrationUpdateRequest,
)
from tenancy.credential_models import GenesysCredentials, GenesysCredentialsInput
from tenancy.models import CredentialMeta
from tenancy.onboarding.errors import (
    GenesysIntegrationNotFoundError,
    GenesysUnavailableError,
)
from tenancy.onboarding.genesys_steps import connection, delete_quietly, mapped, wait_ready
from tenancy.onboarding.models import GenesysConnection
from tenancy.onboarding.rotation import carried_previous, new_webhook_secret
from tenancy.onboarding.vendors import GenesysSession, Vendors
from tenancy.settings import OnboardingSettings

Store = Callable[[GenesysCredentials], Awaitable[CredentialMeta]]
"""Writes the stored form to Vault (a new version) and answers its metadata."""

Undo = Callable[[], Awaitable[None]]
"""Puts Vault back as it was before the last ``Store``."""


@dataclass(frozen=True)
class GenesysConnected:
    """The stored version and the integration as onboarding left it."""

    meta: CredentialMeta
    connection: GenesysConnection


class GenesysOnboarding:
    """Connects, rotates and disconnects tenants' Genesys integrations."""

    def __init__(
        self,
        vendors: Vendors,
        settings: OnboardingSettings,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._vendors = vendors
        self._settings = settings
        self._now = now
        self._sleep = sleep
        self._monotonic = monotonic

    async def connect(
        self,
        tenant_id: str,
        given: GenesysCredentialsInput,
        previous: GenesysCredentials | None,
        store: Store,
        undo: Undo,
    ) -> GenesysConnected:
        """Check the client, provision the integration, store the result (see module doc)."""
        tenant = self._vendors.genesys_tenant(
            tenant_id, given.client_id, given.client_secret, given.region
        )
        session = self._vendors.genesys()
        async with mapped("get a token with this OAuth client", tenant_id):
            await session.token(tenant)
        name = self._settings.integration_name_of(tenant_id)
        if given.integration_id is not None:
            async with mapped("read the integration", tenant_id):
                found = await session.integrations.get(tenant, given.integration_id)
            if found is None:
                raise GenesysIntegrationNotFoundError(
                    f"no Open Messaging integration {given.integration_id!r} in this client's "
                    "org (check integrationId and region)",
                    tenant_id=tenant_id,
                )
            if given.outbound_webhook_secret is not None:
                return await self._adopt_as_is(tenant, session, found, given, previous, store)
            return await self._update(tenant, session, found, given, previous, store, undo)
        async with mapped("list the org's integrations", tenant_id):
            found = await session.integrations.find_by_name(tenant, name)
        if found is not None:
            return await self._update(tenant, session, found, given, previous, store, undo)
        return await self._create(tenant, session, name, given, previous, store)

    async def rotate(
        self, tenant_id: str, current: GenesysCredentials, store: Store, undo: Undo
    ) -> tuple[CredentialMeta, datetime]:
        """A new webhook secret: stored (the old one accepted meanwhile), then set in Genesys."""
        tenant = self._tenant(tenant_id, current)
        session = self._vendors.genesys()
        async with mapped("read the integration", tenant_id):
            found = await session.integrations.get(tenant, current.integration_id)
        if found is None:
            raise GenesysIntegrationNotFoundError(
                f"the tenant's integration {current.integration_id!r} no longer exists; "
                "store the Genesys credentials again to provision one",
                tenant_id=tenant_id,
            )
        secret = new_webhook_secret()
        creds = self._stored(current, secret, current.integration_id, current, created=None)
        meta = await store(creds)
        try:
            async with mapped("set the new secret on the integration", tenant_id):
                await session.integrations.update(
                    tenant,
                    current.integration_id,
                    OpenIntegrationUpdateRequest(
                        name=found.name,
                        outbound_notification_webhook_signature_secret_token=secret,
                    ),
                )
        except BaseException:
            await undo()
            raise
        until = creds.previous_secret_expires_at or self._now()
        return meta, until

    async def disconnect(self, tenant_id: str, current: GenesysCredentials) -> list[str]:
        """Delete the integration if it is wagen's; an operator's own is left alone."""
        if not current.integration_created_by_wagen:
            return [f"genesys integration {current.integration_id} kept (not created by wagen)"]
        tenant = self._tenant(tenant_id, current)
        async with mapped("delete the integration", tenant_id):
            deleted = await self._vendors.genesys().integrations.delete(
                tenant, current.integration_id
            )
        state = "deleted" if deleted else "already gone"
        return [f"genesys integration {current.integration_id} {state}"]

    def _tenant(self, tenant_id: str, creds: GenesysCredentials) -> GenesysTenant:
        return self._vendors.genesys_tenant(
            tenant_id, creds.client_id, creds.client_secret, creds.region, creds.integration_id
        )

    def _stored(
        self,
        given: GenesysCredentialsInput | GenesysCredentials,
        secret: str,
        integration_id: str,
        previous: GenesysCredentials | None,
        *,
        created: bool | None,
    ) -> GenesysCredentials:
        old_secret, until = carried_previous(
            old_current=previous.outbound_webhook_secret if previous else None,
            old_previous=previous.previous_outbound_webhook_secret if previous else None,
            old_until=previous.previous_secret_expires_at if previous else None,
            new=secret,
            now=self._now(),
            window_s=self._settings.rotation_window_s,
        )
        if created is None:
            created = previous.integration_created_by_wagen if previous else False
        return GenesysCredentials(
            client_id=given.client_id,
            client_secret=given.client_secret,
            region=given.region,
            integration_id=integration_id,
            outbound_webhook_secret=secret,
            integration_created_by_wagen=created,
            previous_outbound_webhook_secret=old_secret,
            previous_secret_expires_at=until,
        )

    async def _adopt_as_is(
        self,
        tenant: GenesysTenant,
        session: GenesysSession,
        found: OpenIntegration,
        given: GenesysCredentialsInput,
        previous: GenesysCredentials | None,
        store: Store,
    ) -> GenesysConnected:
        ready = await wait_ready(
            self._settings, session, tenant, found, sleep=self._sleep, monotonic=self._monotonic
        )
        assert given.outbound_webhook_secret is not None
        creds = self._stored(
            given, given.outbound_webhook_secret, found.id, previous, created=False
        )
        meta = await store(creds)
        return GenesysConnected(meta, connection(ready, "adopted", created_by_wagen=False))

    async def _update(
        self,
        tenant: GenesysTenant,
        session: GenesysSession,
        found: OpenIntegration,
        given: GenesysCredentialsInput,
        previous: GenesysCredentials | None,
        store: Store,
        undo: Undo,
    ) -> GenesysConnected:
        ours = found.name == self._settings.integration_name_of(tenant.tenant_id)
        secret = given.outbound_webhook_secret or new_webhook_secret()
        creds = self._stored(given, secret, found.id, previous, created=ours)
        meta = await store(creds)
        try:
            async with mapped("point the integration at wagen", tenant.tenant_id):
                updated = await session.integrations.update(
                    tenant,
                    found.id,
                    OpenIntegrationUpdateRequest(
                        name=found.name,
                        outbound_notification_webhook_url=self._url(tenant),
                        outbound_notification_webhook_signature_secret_token=secret,
                    ),
                )
            ready = await wait_ready(
                self._settings,
                session,
                tenant,
                updated,
                sleep=self._sleep,
                monotonic=self._monotonic,
            )
        except BaseException:
            await undo()
            raise
        return GenesysConnected(meta, connection(ready, "updated", created_by_wagen=ours))

    async def _create(
        self,
        tenant: GenesysTenant,
        session: GenesysSession,
        name: str,
        given: GenesysCredentialsInput,
        previous: GenesysCredentials | None,
        store: Store,
    ) -> GenesysConnected:
        secret = given.outbound_webhook_secret or new_webhook_secret()
        request = OpenIntegrationRequest(
            name=name,
            outbound_notification_webhook_url=self._url(tenant),
            outbound_notification_webhook_signature_secret_token=secret,
        )
        try:
            async with mapped("create the integration", tenant.tenant_id):
                created = await session.integrations.create(tenant, request)
        except GenesysUnavailableError as exc:
            if isinstance(exc.__cause__, ConnectorTransportError):
                # The create may have happened without an answer: find it and take it back.
                await delete_quietly(session, tenant, name=name)
            raise
        try:
            ready = await wait_ready(
                self._settings,
                session,
                tenant,
                created,
                sleep=self._sleep,
                monotonic=self._monotonic,
            )
            creds = self._stored(given, secret, created.id, previous, created=True)
            meta = await store(creds)
        except BaseException:
            await delete_quietly(session, tenant, integration_id=created.id)
            raise
        return GenesysConnected(meta, connection(ready, "created", created_by_wagen=True))

    def _url(self, tenant: GenesysTenant) -> str:
        return self._settings.genesys_webhook_url(tenant.tenant_id)
