"""Operators' tenants page: the list with status, plan and this month's usage; create, suspend,
reactivate, change plan. Every write goes through ``TenantService`` (audited there)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pipeline.console.errors import FormError
from pipeline.console.forms import blank_to_none, parse, read_form
from pipeline.console.state import page_tenant, state
from pipeline.console.views.common import actor_of, render, see_other
from tenancy.errors import ConflictError, InvalidRequestError
from tenancy.models import TenantCreate, TenantPatch

PAGE = 25
_NOTICES = {
    "suspended": "Tenant suspended: its webhooks, API calls and console users are refused.",
    "active": "Tenant active again.",
    "plan": "Plan changed.",
}


async def _listing(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    console = state(request)
    cursor = request.query.get("cursor") or None
    page = await console.tenancy.tenants.page(limit=PAGE, cursor=cursor)
    plans = sorted(console.tenancy.config.tenancy.plans)
    context: dict[str, Any] = {
        "page": page,
        "plans": plans,
        "default_plan": console.tenancy.config.tenancy.default_plan,
        "errors": {},
        "error": None,
        "values": {},
        "notice": _NOTICES.get(request.query.get("done", "")),
    }
    return render(request, "tenants.html", status, **{**context, **extra})


async def tenants_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/tenants``."""
    return await _listing(request)


async def create_tenant(request: web.Request) -> web.StreamResponse:
    """``POST /console/tenants``: the tenant and its first API key, shown on this page once."""
    values: dict[str, str] = {}
    try:
        values = await read_form(request)
        fields = {k: values.get(k, "") for k in ("tenantId", "name", "subdomain", "plan")}
        body = parse(TenantCreate, blank_to_none(fields, "subdomain", "plan"))
        created = await state(request).tenancy.tenants.create(body, actor_of(request))
    except FormError as exc:
        return await _listing(request, 400, errors=exc.fields, error=exc.summary, values=values)
    except (ConflictError, InvalidRequestError) as exc:
        status = 409 if isinstance(exc, ConflictError) else 400
        return await _listing(request, status, error=f"Not created: {exc.message}.", values=values)
    return render(request, "tenant_created.html", 201, created=created)


async def set_status(request: web.Request) -> web.StreamResponse:
    """``POST /console/tenants/{tenant}/status``: suspend or reactivate."""
    tenant = page_tenant(request)
    form = await read_form(request)
    wanted = form.get("status")
    if wanted not in ("active", "suspended"):
        return await _listing(request, 400, error="Choose active or suspended.")
    patch = parse(TenantPatch, {"status": wanted})
    await state(request).tenancy.tenants.update(tenant.tenant_id, patch, actor_of(request))
    return see_other(f"/console/tenants?done={wanted}")


async def set_plan(request: web.Request) -> web.StreamResponse:
    """``POST /console/tenants/{tenant}/plan``."""
    tenant = page_tenant(request)
    try:
        form = await read_form(request)
        patch = parse(TenantPatch, {"plan": form.get("plan", "")})
        await state(request).tenancy.tenants.update(tenant.tenant_id, patch, actor_of(request))
    except FormError as exc:
        detail = "; ".join(f"{k} {v}" for k, v in exc.fields.items())
        return await _listing(request, 400, error=f"Plan not changed: {detail}.")
    except InvalidRequestError as exc:
        return await _listing(request, 400, error=f"Plan not changed: {exc.message}.")
    return see_other("/console/tenants?done=plan")
