"""Who may call what: admin authentication and tenant resolution, by route scope.

Every tenancy route's resource is named ``admin.*`` or ``tenant.*`` (see ``routes``); this
middleware reads that scope, so a new route cannot forget its guard: an unnamed route is
public only if it is registered outside tenancy (health, OpenAPI).

Tenant resolution tries, in order, and uses the first credential present (a bad one is
a 401, never a fall-through to the next): ``X-API-Key``; ``Authorization: Bearer <JWT>``
with a ``tenant_id`` claim; the ``Host`` subdomain under the configured base domain.
The Host rule identifies without authenticating, so it is off unless
``WAGEN_TENANCY_BASE_DOMAIN`` is set (deploy it behind a proxy that authenticates).
"""

from __future__ import annotations

import hmac
import re

from aiohttp import web
from aiohttp.typedefs import Handler

from tenancy.errors import (
    AuthenticationError,
    ForbiddenError,
    TenantNotFoundError,
    TenantSuspendedError,
)
from tenancy.http.context import PRINCIPAL_KEY, TENANT_KEY, Principal, services
from tenancy.models import SUBDOMAIN_PATTERN, Tenant
from tenancy.services import Tenancy

_SUBDOMAIN = re.compile(SUBDOMAIN_PATTERN)


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Authorization must be 'Bearer <token>'")
    return token.strip()


def host_subdomain(host: str, base_domain: str | None) -> str | None:
    """``acme`` for ``acme.<base_domain>[:port]``; None for anything else."""
    if not base_domain:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    suffix = f".{base_domain}"
    if not name.endswith(suffix):
        return None
    label = name[: -len(suffix)]
    return label if _SUBDOMAIN.match(label) else None


async def authenticate_admin(request: web.Request, tenancy: Tenancy) -> Principal:
    """The bootstrap token or an admin JWT; a tenant credential here is a 403."""
    bearer = _bearer(request)
    if bearer is not None:
        configured = tenancy.config.admin.token
        if configured is not None and hmac.compare_digest(
            bearer.encode(), configured.get_secret_value().encode()
        ):
            return Principal(kind="admin", actor="admin:token")
        claims = tenancy.jwt.verify(bearer)
        if tenancy.config.admin.jwt_role not in claims.roles:
            raise ForbiddenError("this token has no admin role")
        return Principal(kind="admin", actor=f"admin:jwt:{claims.subject or '?'}")
    api_key = request.headers.get("X-API-Key")
    if api_key:
        await tenancy.keys.authenticate(api_key)  # an invalid key stays a 401
        raise ForbiddenError("tenant API keys cannot call admin routes")
    raise AuthenticationError("admin credential required: Authorization: Bearer <token>")


async def resolve_tenant(request: web.Request, tenancy: Tenancy) -> tuple[Tenant, Principal]:
    """The tenant behind the request, or 401 (nothing matched) / 403 (suspended)."""
    api_key = request.headers.get("X-API-Key")
    bearer = None if api_key else _bearer(request)
    if api_key:
        owner = await tenancy.keys.authenticate(api_key)
        tenant_id, label = owner.tenant_id, f"key:{owner.prefix}"
    elif bearer is not None:
        claims = tenancy.jwt.verify(bearer)
        if claims.tenant_id is None:
            raise AuthenticationError("bearer token has no tenant_id claim")
        tenant_id, label = claims.tenant_id, f"jwt:{claims.subject or '?'}"
    else:
        subdomain = host_subdomain(request.host, tenancy.config.tenancy.base_domain)
        found = await tenancy.tenants.by_subdomain(subdomain) if subdomain else None
        if found is None:
            raise AuthenticationError(
                "no tenant credential: send X-API-Key, a bearer JWT, or use the tenant's host"
            )
        tenant_id, label = found.tenant_id, "host"
    try:
        tenant = await tenancy.tenants.get(tenant_id)
    except TenantNotFoundError:
        raise AuthenticationError("credential names no tenant") from None
    if tenant.status == "deleted":
        raise AuthenticationError("credential names no tenant")
    if tenant.status == "suspended":
        raise TenantSuspendedError("tenant is suspended", tenant_id=tenant.tenant_id)
    return tenant, Principal(kind="tenant", actor=f"tenant:{tenant.tenant_id}:{label}")


async def admin_or_owner(request: web.Request, tenancy: Tenancy) -> tuple[Principal, Tenant | None]:
    """An admin credential, else the tenant's own (a tenant JWT without the admin role is
    tried as the tenant's); the handler checks the tenant is the one the path names."""
    if not request.headers.get("X-API-Key"):
        try:
            return await authenticate_admin(request, tenancy), None
        except ForbiddenError:
            pass  # a tenant's JWT on a route its tenant may call
    tenant, principal = await resolve_tenant(request, tenancy)
    return principal, tenant


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Guard ``admin.*``, ``tenant.*`` and ``owner.*`` routes; rate-limit tenant callers."""
    scope = (request.match_info.route.name or "").partition(".")[0]
    if scope == "admin":
        tenancy = services(request)
        request[PRINCIPAL_KEY] = await authenticate_admin(request, tenancy)
    elif scope == "owner":
        tenancy = services(request)
        principal, owner = await admin_or_owner(request, tenancy)
        request[PRINCIPAL_KEY] = principal
        if owner is not None:
            request[TENANT_KEY] = owner
            limit = tenancy.requests_per_second(owner.plan, owner.rate_limit)
            await tenancy.rate_limiter.check(owner.tenant_id, limit)
    elif scope == "tenant":
        tenancy = services(request)
        tenant, principal = await resolve_tenant(request, tenancy)
        request[TENANT_KEY], request[PRINCIPAL_KEY] = tenant, principal
        limit = tenancy.requests_per_second(tenant.plan, tenant.rate_limit)
        await tenancy.rate_limiter.check(tenant.tenant_id, limit)
    return await handler(request)
