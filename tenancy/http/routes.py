"""The tenancy route table: one list drives registration, access scopes and OpenAPI.

Because ``/openapi.json`` is generated from the same ``ROUTES`` that are registered, the
document cannot describe a route that does not exist or miss one that does (a test also
compares it with the app's router).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from pydantic import BaseModel

from tenancy import models as m
from tenancy.http import admin_views as admin
from tenancy.http import state_views as state
from tenancy.http.io import DisconnectQuery, PageQuery, UsageQuery
from tenancy.onboarding import models as om

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Scope = Literal["admin", "tenant", "owner"]
"""``owner``: an admin, or the tenant the path names (its own key or JWT)."""


@dataclass(frozen=True)
class RouteSpec:
    """One operation: how it is served and how it is documented."""

    method: str
    path: str
    handler: Handler
    scope: Scope
    summary: str
    response: type[BaseModel]
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None


_T = "/tenants/{tenantId}"
ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec(
        "POST",
        "/tenants",
        admin.create_tenant,
        "admin",
        "Create a tenant and its first API key",
        m.TenantCreatedReply,
        201,
        m.TenantCreate,
    ),
    RouteSpec(
        "GET",
        "/tenants",
        admin.list_tenants,
        "admin",
        "List tenants with status and usage",
        m.TenantPage,
        query=PageQuery,
    ),
    RouteSpec("GET", _T, admin.get_tenant, "admin", "Get a tenant", m.Tenant),
    RouteSpec(
        "PATCH",
        _T,
        admin.update_tenant,
        "admin",
        "Change name, plan, status or rate limit",
        m.Tenant,
        body=m.TenantPatch,
    ),
    RouteSpec(
        "DELETE",
        _T,
        admin.delete_tenant,
        "admin",
        "Soft-delete a tenant (purged later); disconnect its vendors unless disconnect=false",
        om.TenantDeleted,
        query=DisconnectQuery,
    ),
    RouteSpec(
        "POST",
        f"{_T}/credentials",
        admin.put_credentials,
        "admin",
        "Check Meta or Genesys credentials live, provision the vendor side, store in Vault",
        om.CredentialsConnected,
        201,
        m.CredentialsWrite,
    ),
    RouteSpec(
        "DELETE",
        f"{_T}/credentials/{{kind}}",
        admin.remove_credentials,
        "admin",
        "Remove Meta or Genesys credentials (and wagen's vendor side unless disconnect=false)",
        om.CredentialsRemoved,
        query=DisconnectQuery,
    ),
    RouteSpec(
        "POST",
        f"{_T}/credentials/genesys/rotate",
        admin.rotate_genesys_secret,
        "admin",
        "Rotate the Genesys webhook secret (the previous one accepted for a window)",
        om.SecretRotated,
    ),
    RouteSpec(
        "GET",
        f"{_T}/health",
        admin.tenant_health,
        "owner",
        "Every connection of the tenant checked now (admin, or the tenant itself)",
        om.HealthReport,
    ),
    RouteSpec(
        "GET",
        f"{_T}/credentials",
        admin.list_credentials,
        "admin",
        "Credential metadata (never the secret)",
        m.CredentialList,
    ),
    RouteSpec(
        "POST",
        f"{_T}/api-keys",
        admin.create_api_key,
        "admin",
        "Create an API key (shown once)",
        m.CreatedApiKey,
        201,
        m.ApiKeyCreate,
    ),
    RouteSpec("GET", f"{_T}/api-keys", admin.list_api_keys, "admin", "List API keys", m.ApiKeyList),
    RouteSpec(
        "DELETE",
        f"{_T}/api-keys/{{keyId}}",
        admin.revoke_api_key,
        "admin",
        "Revoke an API key",
        m.ApiKeyInfo,
    ),
    RouteSpec(
        "GET",
        f"{_T}/usage",
        admin.get_usage,
        "admin",
        "Daily usage counters",
        m.UsageReport,
        query=UsageQuery,
    ),
    RouteSpec(
        "GET",
        f"{_T}/audit",
        admin.get_audit,
        "admin",
        "Audit trail, newest first",
        m.AuditPage,
        query=PageQuery,
    ),
    RouteSpec(
        "GET", "/state/stats", state.stats, "tenant", "Counters of the calling tenant", m.Stats
    ),
    RouteSpec(
        "GET",
        "/state/conversations",
        state.conversations,
        "tenant",
        "Conversation mappings, newest first",
        m.MappingPage,
        query=PageQuery,
    ),
    RouteSpec(
        "POST",
        "/state/mapping",
        state.upsert_mapping,
        "tenant",
        "Create or update a conversation mapping",
        m.Mapping,
        201,
        m.MappingCreate,
    ),
    RouteSpec(
        "GET",
        "/state/mapping/{waId}",
        state.get_mapping,
        "tenant",
        "Get a conversation mapping",
        m.Mapping,
    ),
)


def resource_name(scope: Scope, path: str) -> str:
    """``admin.tenants_tenantId_api_keys`` for ``/tenants/{tenantId}/api-keys``: the scope
    prefix is what the access middleware reads."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", path) if w]
    return f"{scope}.{'_'.join(words)}"


def add_routes(app: web.Application) -> None:
    """Register every route of ``ROUTES``, one named resource per path."""
    resources: dict[str, web.Resource] = {}
    for spec in ROUTES:
        resource = resources.get(spec.path)
        if resource is None:
            resource = app.router.add_resource(spec.path, name=resource_name(spec.scope, spec.path))
            resources[spec.path] = resource
        resource.add_route(spec.method, spec.handler)
