"""The vendor clients onboarding and the doctor use, over the process's one HTTP pool.

Every check gets its own Genesys token cache: a token cached from an earlier, correct
client secret must not vouch for a new, wrong one. The pool and the settings are shared.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.genesys.client import GenesysClient
from connectors.genesys.integrations import GenesysIntegrations
from connectors.genesys.regions import UnknownRegionError, region_domain, resolve_endpoints
from connectors.genesys.token import GenesysTenant, GenesysTokenCache
from connectors.http import HttpTransport
from connectors.meta.business import MetaBusiness
from connectors.meta.graph import MetaAuth
from connectors.settings import GenesysClientSettings, MetaClientSettings
from tenancy.onboarding.errors import region_unknown


@dataclass(frozen=True)
class GenesysSession:
    """One operation's Genesys client (fresh token cache) and its integrations API."""

    client: GenesysClient
    integrations: GenesysIntegrations

    async def token(self, tenant: GenesysTenant) -> str:
        """A token fetched now with the tenant's client credentials."""
        return await self.client.tokens.token(tenant)


class Vendors:
    """Builds per-operation Genesys sessions and shares one Meta business client."""

    def __init__(
        self,
        transport: HttpTransport,
        meta: MetaClientSettings,
        genesys: GenesysClientSettings,
    ) -> None:
        self._transport = transport
        self._genesys_settings = genesys
        self.meta = MetaBusiness(transport, meta)

    def genesys(self) -> GenesysSession:
        """A client whose token cache starts empty."""
        settings = self._genesys_settings
        tokens = GenesysTokenCache(self._transport, settings)
        client = GenesysClient(self._transport, settings, tokens)
        return GenesysSession(client, GenesysIntegrations(client))

    def genesys_tenant(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        region: str,
        integration_id: str = "",
    ) -> GenesysTenant:
        """The tenant's OAuth client at its region's hosts (422 for an unknown region).

        The region is checked even when the settings point every tenant elsewhere (a
        sandbox): a wrong region must fail here, not in production.
        """
        try:
            region_domain(region)
        except UnknownRegionError:
            raise region_unknown(region, tenant_id) from None
        return GenesysTenant(
            client_id=client_id,
            client_secret=client_secret,
            integration_id=integration_id,
            endpoints=resolve_endpoints(region, self._genesys_settings),
            tenant_id=tenant_id,
        )


def meta_auth(tenant_id: str, access_token: str, phone_number_id: str) -> MetaAuth:
    """The tenant's token for one number."""
    return MetaAuth(access_token=access_token, phone_number_id=phone_number_id, tenant_id=tenant_id)
