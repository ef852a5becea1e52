"""Admin API handlers: parse, call one service, reply. No SQL, no Vault calls here."""

from __future__ import annotations

from aiohttp import web

from tenancy import audit, usage
from tenancy.http.context import actor, services
from tenancy.http.io import (
    PageQuery,
    UsageQuery,
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
    """``POST /tenants``: the tenant and its first API key (shown once)."""
    body = await read_body(request, TenantCreate)
    created = await services(request).tenants.create(body, actor(request))
    return reply(created, status=201)


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
    """``DELETE /tenants/{tenantId}``: soft delete now, purge later (``wagen tenants purge``)."""
    tenant = await services(request).tenants.soft_delete(tenant_id_param(request), actor(request))
    return reply(tenant)


async def put_credentials(request: web.Request) -> web.Response:
    """``POST /tenants/{tenantId}/credentials``: a new Vault version; metadata back only."""
    tenant_id = tenant_id_param(request)
    body = await read_body(request, CredentialsWrite)
    meta = await services(request).credentials.put(tenant_id, body, actor(request))
    return reply(meta, status=201)


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
