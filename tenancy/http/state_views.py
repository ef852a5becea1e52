"""Tenant state API handlers; the tenant comes from the access middleware, never the URL."""

from __future__ import annotations

from aiohttp import web

from tenancy.http.context import actor, current_tenant, services
from tenancy.http.io import PageQuery, read_body, read_query, reply, wa_id_param
from tenancy.models import MappingCreate


async def stats(request: web.Request) -> web.Response:
    """``GET /state/stats``."""
    tenancy, tenant = services(request), current_tenant(request)
    limit = tenancy.plan_limit(tenant.plan)
    return reply(await tenancy.state.stats(tenant.tenant_id, tenant.plan, limit))


async def conversations(request: web.Request) -> web.Response:
    """``GET /state/conversations?limit&cursor``: newest first."""
    query = read_query(request, PageQuery)
    page = await services(request).state.conversations(
        current_tenant(request).tenant_id, limit=query.limit, cursor=query.cursor
    )
    return reply(page)


async def upsert_mapping(request: web.Request) -> web.Response:
    """``POST /state/mapping``: 201 when created, 200 when it existed."""
    body = await read_body(request, MappingCreate)
    mapping, created = await services(request).state.upsert_mapping(
        current_tenant(request).tenant_id, body, actor(request)
    )
    return reply(mapping, status=201 if created else 200)


async def get_mapping(request: web.Request) -> web.Response:
    """``GET /state/mapping/{waId}``: another tenant's mapping is a 404 like a missing one."""
    wa_id = wa_id_param(request)
    mapping = await services(request).state.get_mapping(current_tenant(request).tenant_id, wa_id)
    return reply(mapping)
