"""Who may call what: admin authentication and tenant resolution, by route scope.

Every tenancy route's resource is named ``admin.*`` or ``tenant.*`` (see ``routes``); this
middleware reads that scope, so a new route cannot forget its guard: an unnamed route is
public only if it is registered outside tenancy (health, OpenAPI).

A tenant route needs a credential, the first present of ``X-API-Key`` and
``Authorization: Bearer <JWT>`` with a ``tenant_id`` claim (a bad one is a 401, never a
fall-through to the next). The ``Host`` subdomain under ``WAGEN_TENANCY_BASE_DOMAIN``
*selects* a tenant but never authenticates one: on a tenant's host, a credential of any other
tenant is a 403. Only the ``Host`` header decides the subdomain (never an absolute-form
request line, which a proxy authorising on Host would not see).

Admin routes take the bootstrap token or an admin JWT (its own key and audience,
:func:`tenancy.bearer.admin_jwt_settings`). Every refused credential is counted by the
failed-authentication throttle (:mod:`tenancy.auth_throttle`), which answers 429 to a client
address or key prefix that failed too often, before looking at its next credential.
"""

from __future__ import annotations

import hmac
import re

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from tenancy.apikeys import KeyOwner, key_prefix
from tenancy.auth_throttle import Scope
from tenancy.errors import (
    AuthenticationError,
    ForbiddenError,
    InvalidRequestError,
    TenantNotFoundError,
    TenantSuspendedError,
)
from tenancy.http.context import PRINCIPAL_KEY, TENANT_KEY, Principal, client_address, services
from tenancy.models import SUBDOMAIN_PATTERN, Tenant
from tenancy.services import Tenancy

_SUBDOMAIN = re.compile(SUBDOMAIN_PATTERN)
# Bearer tokens are base64url segments and dots (JWTs) or our own printable tokens.
_BEARER_TOKEN = re.compile(r"^[\x21-\x7e]{1,8192}$")


class TenantHostMismatchError(ForbiddenError):
    """The credential is valid but belongs to another tenant than the host's subdomain."""

    code = "tenant_host_mismatch"


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get(hdrs.AUTHORIZATION)
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("Authorization must be 'Bearer <token>'")
    if not _BEARER_TOKEN.match(token):
        raise AuthenticationError("invalid bearer token")
    return token


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


def host_header(request: web.Request) -> str:
    """The one ``Host`` header ("" without one); two of them are a 400 (RFC 9112 3.2)."""
    hosts = request.headers.getall(hdrs.HOST, [])
    if len(hosts) > 1:
        raise InvalidRequestError("more than one Host header")
    return hosts[0] if hosts else ""


async def _authenticate_key(
    request: web.Request, tenancy: Tenancy, scope: Scope, text: str
) -> KeyOwner:
    """The key's owner; failures are counted against the client and the key's prefix."""
    address, prefix = client_address(request), key_prefix(text)
    await tenancy.auth_throttle.check(scope, address, prefix)
    try:
        return await tenancy.keys.authenticate(text)
    except AuthenticationError:
        await tenancy.auth_throttle.failed(scope, address, prefix)
        raise


async def _authenticate_bearer(
    request: web.Request, tenancy: Tenancy, scope: Scope
) -> tuple[str, Principal | None] | None:
    """(token, admin principal if the bootstrap token) for a present bearer, else None."""
    address = client_address(request)
    try:
        token = _bearer(request)
    except AuthenticationError:
        await tenancy.auth_throttle.check(scope, address)
        await tenancy.auth_throttle.failed(scope, address)
        raise
    if token is None:
        return None
    await tenancy.auth_throttle.check(scope, address)
    configured = tenancy.config.admin.token if scope == "admin" else None
    if configured is not None and hmac.compare_digest(
        token.encode(), configured.get_secret_value().encode()
    ):
        return token, Principal(kind="admin", actor="admin:token")
    return token, None


def _is_tenant_token(tenancy: Tenancy, token: str) -> bool:
    """Whether ``token`` is a valid tenant JWT (on an admin route: a 403, not a 401)."""
    if not tenancy.jwt.enabled:
        return False
    try:
        tenancy.jwt.verify(token)
    except AuthenticationError:
        return False
    return True


async def authenticate_admin(request: web.Request, tenancy: Tenancy) -> Principal:
    """The bootstrap token or an admin JWT; a tenant credential here is a 403."""
    found = await _authenticate_bearer(request, tenancy, "admin")
    if found is not None:
        token, principal = found
        if principal is not None:
            return principal
        try:
            claims = tenancy.admin_jwt.verify(token)
        except AuthenticationError:
            if _is_tenant_token(tenancy, token):
                raise ForbiddenError("tenant tokens cannot call admin routes") from None
            await tenancy.auth_throttle.failed("admin", client_address(request))
            raise
        if tenancy.config.admin.jwt_role not in claims.roles:
            raise ForbiddenError("this token has no admin role")
        return Principal(kind="admin", actor=f"admin:jwt:{claims.subject or '?'}")
    api_key = request.headers.get("X-API-Key")
    if api_key:
        await _authenticate_key(request, tenancy, "admin", api_key)  # an invalid key: 401
        raise ForbiddenError("tenant API keys cannot call admin routes")
    raise AuthenticationError("admin credential required: Authorization: Bearer <token>")


async def _credential_tenant(request: web.Request, tenancy: Tenancy) -> tuple[str, str]:
    """(tenant id, actor label) the request's credential names, or 401."""
    api_key = request.headers.get("X-API-Key")
    if api_key:
        owner = await _authenticate_key(request, tenancy, "tenant", api_key)
        return owner.tenant_id, f"key:{owner.prefix}"
    found = await _authenticate_bearer(request, tenancy, "tenant")
    if found is None:
        raise AuthenticationError("tenant credential required: send X-API-Key or a bearer JWT")
    token, _ = found
    try:
        claims = tenancy.jwt.verify(token)
        if claims.tenant_id is None:
            raise AuthenticationError("bearer token has no tenant_id claim")
    except AuthenticationError:
        await tenancy.auth_throttle.failed("tenant", client_address(request))
        raise
    return claims.tenant_id, f"jwt:{claims.subject or '?'}"


async def resolve_tenant(request: web.Request, tenancy: Tenancy) -> tuple[Tenant, Principal]:
    """The tenant behind the request: 401 (no valid credential), 403 (suspended, or the
    credential belongs to another tenant than the host's)."""
    host = host_header(request)
    tenant_id, label = await _credential_tenant(request, tenancy)
    subdomain = host_subdomain(host, tenancy.config.tenancy.base_domain)
    if subdomain is not None:
        selected = await tenancy.tenants.by_subdomain(subdomain)
        if selected is None or selected.tenant_id != tenant_id:
            raise TenantHostMismatchError(
                "this credential does not belong to the tenant of this host"
            )
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
