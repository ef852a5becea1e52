"""The Genesys Cloud integrations API: find, create, update and delete Open Messaging
integrations with a tenant's OAuth client.

Routes under ``/api/v2/conversations/messaging/integrations/open`` and the permission each
needs (Genesys platform SDK, ``ConversationsApi``): list and get, ``messaging:integration:view``;
``POST``, ``messaging:integration:add``; ``PATCH /{id}``, ``messaging:integration:edit``;
``DELETE /{id}``, ``messaging:integration:delete``.

A create is not repeated after a timeout (it may have happened); callers look the
integration up by name instead. Failures are the client's classified ``GenesysError``; a 403
names the permission Genesys found missing (:func:`missing_permissions`).
"""

from __future__ import annotations

import json
import re
from typing import Final

from pydantic import BaseModel

from connectors.genesys.client import GenesysClient
from connectors.genesys.errors import GenesysError
from connectors.genesys.token import GenesysTenant
from schemas.genesys.integrations import (
    OpenIntegration,
    OpenIntegrationEntityListing,
    OpenIntegrationRequest,
    OpenIntegrationUpdateRequest,
)

BASE_PATH: Final = "/api/v2/conversations/messaging/integrations/open"

PAGE_SIZE: Final = 100
"""Integrations read per page when looking one up by name."""

MAX_PAGES: Final = 50
"""Pages read at most (5,000 integrations): an org with more is not looked through."""

_PERMISSION: Final = re.compile(r"[A-Za-z]+:[A-Za-z]+:[A-Za-z*]+")


def missing_permissions(error: GenesysError) -> list[str]:
    """The permissions a 403 body names (``messageParams``, then the message texts)."""
    body = error.body if isinstance(error.body, dict) else {}
    texts: list[str] = []
    params = body.get("messageParams")
    if isinstance(params, dict):
        texts += [str(v) for v in params.values()]
    texts += [str(body.get(k, "")) for k in ("messageWithParams", "message")]
    found: list[str] = []
    for text in texts:
        for name in _PERMISSION.findall(text):
            if name not in found:
                found.append(name)
    return found


def _json(model: BaseModel) -> bytes:
    dumped = model.model_dump(mode="json", exclude_none=True, by_alias=True)
    return json.dumps(dumped, separators=(",", ":")).encode()


class GenesysIntegrations:
    """Open Messaging integrations of any tenant's org, over the shared Genesys client."""

    def __init__(self, client: GenesysClient) -> None:
        self._client = client

    async def get(self, tenant: GenesysTenant, integration_id: str) -> OpenIntegration | None:
        """The integration, or ``None`` when Genesys has no such id (404)."""
        try:
            response = await self._client.call(
                tenant, "GET", f"{BASE_PATH}/{integration_id}", operation="integration_get"
            )
        except GenesysError as exc:
            if exc.http_status == 404:
                return None
            raise
        return OpenIntegration.model_validate_json(response.body)

    async def find_by_name(self, tenant: GenesysTenant, name: str) -> OpenIntegration | None:
        """The first integration named exactly ``name``, or ``None``."""
        for page in range(1, MAX_PAGES + 1):
            response = await self._client.call(
                tenant,
                "GET",
                BASE_PATH,
                operation="integration_list",
                params={"pageSize": str(PAGE_SIZE), "pageNumber": str(page)},
            )
            listing = OpenIntegrationEntityListing.model_validate_json(response.body)
            for integration in listing.entities:
                if integration.name == name:
                    return integration
            last = listing.page_count if listing.page_count is not None else page
            if page >= last or len(listing.entities) < PAGE_SIZE:
                return None
        return None

    async def create(self, tenant: GenesysTenant, body: OpenIntegrationRequest) -> OpenIntegration:
        """Create an integration; Genesys answers at once with ``createStatus: Initiated``."""
        response = await self._client.call(
            tenant,
            "POST",
            BASE_PATH,
            operation="integration_create",
            payload=_json(body),
            idempotent=False,
        )
        return OpenIntegration.model_validate_json(response.body)

    async def update(
        self, tenant: GenesysTenant, integration_id: str, body: OpenIntegrationUpdateRequest
    ) -> OpenIntegration:
        """Change the integration's webhook URL, secret or name (safe to repeat)."""
        response = await self._client.call(
            tenant,
            "PATCH",
            f"{BASE_PATH}/{integration_id}",
            operation="integration_update",
            payload=_json(body),
        )
        return OpenIntegration.model_validate_json(response.body)

    async def delete(self, tenant: GenesysTenant, integration_id: str) -> bool:
        """Delete the integration; ``False`` when it was already gone (404)."""
        try:
            await self._client.call(
                tenant, "DELETE", f"{BASE_PATH}/{integration_id}", operation="integration_delete"
            )
        except GenesysError as exc:
            if exc.http_status == 404:
                return False
            raise
        return True
