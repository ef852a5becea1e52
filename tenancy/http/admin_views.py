"""Admin API handlers: parse, call one service, reply. No SQL, no Vault calls here."""

from __future__ import annotations

from aiohttp import web

from tenancy import audit, usage
from tenancy.errors import TenantNotFoundError
from tenancy.http.context import actor, current_tenant_or_none, onboarding, services
from tenancy.http.io import (
    DisconnectQuery,
    PageQuery,
    UsageQuery,
    credential_type_param,
    key_id_param,
    read_body,
    read_query,
    reply,
    tenant_id_param,
)
from tenancy.models import (
    ApiKeyCreate,
    ApiKeyList,
    CredentialList,
    CredentialsWrite,
    TenantCreate,
    TenantPatch,
)


async def create_tenant(request: web.Request) -> web.Response:
    """``POST /tenants``: the tenant and its first API key (shown once), as the guide shows."""
    body = await read_body(request, TenantCreate)
    created = await services(request).tenants.create(body, actor(request))
    return reply(created.reply(), status=201)


async def list_tenants(request: web.Request) -> web.Response:
    """``GET /tenants``: every tenant with status and this month's usage."""
    query = read_query(request, PageQuery)
    page = await services(request).tenants.page(limit=query.limit, cursor=query.cursor)
    return reply(page)


async def get_tenant(request: web.Request) -> web.Response:
    """``GET /tenants/{tenantId}``."""
    return reply(await services(request).tenants.get(tenant_id_param(request)))


async def update_tenant(request: web.Request) -> web.Response:
    """``PATCH /tenants/{tenantId}``: name, plan, status, rate limit."""
    tenant_id = tenant_id_param(request)
    body = await read_body(request, TenantPatch)
    return reply(await services(request).tenants.update(tenant_id, body, actor(request)))


async def delete_tenant(request: web.Request) -> web.Response:
    """``DELETE /tenants/{tenantId}?disconnect``: soft delete now (and undo wagen's Genesys
    integration and Meta subscription unless ``disconnect=false``), purge later."""
    query = read_query(request, DisconnectQuery)
    deleted = await onboarding(request).delete_tenant(
        tenant_id_param(request), actor(request), disconnect=query.disconnect
    )
    return reply(deleted)


async def put_credentials(request: web.Request) -> web.Response:
    """``POST /tenants/{tenantId}/credentials``: checked live and provisioned at the vendor,
    then a new Vault version; metadata and what was set up back, never a secret."""
    tenant_id = tenant_id_param(request)
    body = await read_body(request, CredentialsWrite)
    connected = await onboarding(request).connect(tenant_id, body, actor(request))
    return reply(connected, status=201)


async def remove_credentials(request: web.Request) -> web.Response:
    """``DELETE /tenants/{tenantId}/credentials/{kind}?disconnect``: every version destroyed,
    after wagen's vendor side is undone (unless ``disconnect=false``)."""
    tenant_id, kind = tenant_id_param(request), credential_type_param(request)
    query = read_query(request, DisconnectQuery)
    removed = await onboarding(request).remove(
        tenant_id, kind, actor(request), disconnect=query.disconnect
    )
    return reply(removed)


async def rotate_genesys_secret(request: web.Request) -> web.Response:
    """``POST /tenants/{tenantId}/credentials/genesys/rotate``: a new webhook secret, set on
    the integration; the previous one accepted for the rotation window."""
    tenant_id = tenant_id_param(request)
    return reply(await onboarding(request).rotate_genesys_secret(tenant_id, actor(request)))


async def tenant_health(request: web.Request) -> web.Response:
    """``GET /tenants/{tenantId}/health``: every connection checked now (admin, or the
    tenant itself)."""
    tenant_id = tenant_id_param(request)
    own = current_tenant_or_none(request)
    if own is not None and own.tenant_id != tenant_id:
        raise TenantNotFoundError(f"no tenant {tenant_id!r}")  # another's: as if missing
    return reply(await onboarding(request).health(tenant_id))


async def list_credentials(request: web.Request) -> web.Response:
    """``GET /tenants/{tenantId}/credentials``: type, version, time, fingerprint."""
    tenancy = services(request)
    tenant = await tenancy.tenants.get(tenant_id_param(request))
    return reply(CredentialList(items=await tenancy.credentials.describe(tenant.tenant_id)))


async def create_api_key(request: web.Request) -> web.Response:
    """``POST /tenants/{tenantId}/api-keys``: the key is in this response only."""
    tenant_id = tenant_id_param(request)
    body = await read_body(request, ApiKeyCreate)
    created = await services(request).keys.create(tenant_id, body.name, actor(request))
    return reply(created, status=201)


async def list_api_keys(request: web.Request) -> web.Response:
    """``GET /tenants/{tenantId}/api-keys``: prefix, name, created, last used, revoked."""
    tenancy = services(request)
    tenant = await tenancy.tenants.get(tenant_id_param(request))
    return reply(ApiKeyList(items=await tenancy.keys.list_keys(tenant.tenant_id)))


async def revoke_api_key(request: web.Request) -> web.Response:
    """``DELETE /tenants/{tenantId}/api-keys/{keyId}``: the key is refused from now on."""
    tenant_id, key_id = tenant_id_param(request), key_id_param(request)
    return reply(await services(request).keys.revoke(tenant_id, key_id, actor(request)))


async def get_usage(request: web.Request) -> web.Response:
    """``GET /tenants/{tenantId}/usage?from&to``: daily counters and totals."""
    tenancy = services(request)
    tenant = await tenancy.tenants.get(tenant_id_param(request))
    query = read_query(request, UsageQuery)
    return reply(await usage.report(tenancy.state.pool, tenant.tenant_id, query.from_, query.to))


async def get_audit(request: web.Request) -> web.Response:
    """``GET /tenants/{tenantId}/audit``: newest first."""
    tenancy = services(request)
    tenant = await tenancy.tenants.get(tenant_id_param(request))
    query = read_query(request, PageQuery)
    cursor = audit.parse_cursor(query.cursor)
    page = await audit.list_entries(
        tenancy.state.pool, tenant.tenant_id, limit=query.limit, cursor=cursor
    )
    return reply(page)
