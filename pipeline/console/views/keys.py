"""A tenant's API keys: listed (prefix, name, times; never the secret), created (the key shown
on the answer page only, as the API shows it once), revoked."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pipeline.console.errors import FormError
from pipeline.console.forms import parse, read_form
from pipeline.console.state import page_tenant, state, viewer
from pipeline.console.views.common import actor_of, render, see_other
from tenancy.models import ApiKeyCreate


async def _page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    tenant = page_tenant(request)
    keys = await state(request).tenancy.keys.list_keys(tenant.tenant_id)
    context: dict[str, Any] = {
        "tenant": tenant,
        "keys": keys,
        "own_prefix": viewer(request).session.who.key_prefix,
        "errors": {},
        "error": None,
        "name": "",
        "notice": "Key revoked: it is refused from now on." if "revoked" in request.query else None,
    }
    return render(request, "keys.html", status, **{**context, **extra})


async def keys_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/t/{tenant}/keys``."""
    return await _page(request)


async def create_key(request: web.Request) -> web.StreamResponse:
    """``POST /console/t/{tenant}/keys``: the new key, on this page and nowhere else."""
    tenant = page_tenant(request)
    name = ""
    try:
        form = await read_form(request)
        name = form.get("name", "")
        body = parse(ApiKeyCreate, {"name": name.strip()})
    except FormError as exc:
        return await _page(request, 400, errors=exc.fields, error=exc.summary, name=name)
    created = await state(request).tenancy.keys.create(
        tenant.tenant_id, body.name, actor_of(request)
    )
    return render(request, "key_created.html", 201, tenant=tenant, created=created)


async def revoke_key(request: web.Request) -> web.StreamResponse:
    """``POST /console/t/{tenant}/keys/{key}/revoke``."""
    tenant = page_tenant(request)
    key_id = request.match_info["key"]
    await state(request).tenancy.keys.revoke(tenant.tenant_id, key_id, actor_of(request))
    return see_other(f"/console/t/{tenant.tenant_id}/keys?revoked=1")
