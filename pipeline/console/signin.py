"""Sign-in: a pasted credential resolved exactly as the HTTP APIs resolve it.

An operator pastes the admin token or an admin JWT; a tenant user the tenant's API key or a
tenant JWT. Rather than re-implement any of that, the credential is put on a view of the
sign-in request as the header the APIs read (``X-API-Key`` or ``Authorization: Bearer``) and
handed to tenancy's own :func:`~tenancy.http.access.authenticate_admin` and
:func:`~tenancy.http.access.resolve_tenant`, so a revoked key, a bad JWT, a suspended tenant
are refused here for the same reasons and with the same words. Nothing of the credential is
kept: the session remembers who it was (see :mod:`pipeline.console.session`), plus what lets
each request check it still holds (the key's public prefix, a keyed digest of the admin token,
the JWT's expiry).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, cast

import jwt
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from pipeline.console.session import SignedIn
from tenancy.errors import AuthenticationError, ForbiddenError
from tenancy.http.access import authenticate_admin, resolve_tenant
from tenancy.services import Tenancy

MAX_CREDENTIAL = 8192
"""Longer than any key or JWT wagen accepts; the form refuses more before any check."""


def admin_token_digest(tenancy: Tenancy) -> str | None:
    """A keyed digest of the configured bootstrap token (None when there is none): a session
    signed in with it ends when the token is changed."""
    token = tenancy.config.admin.token
    if token is None:
        return None
    pepper = tenancy.config.tenancy.key_pepper.get_secret_value().encode()
    return hmac.new(pepper, token.get_secret_value().encode(), hashlib.sha256).hexdigest()


def _jwt_expiry(token: str) -> float | None:
    """``exp`` of a token already verified by tenancy (read again, not trusted on its own)."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None


class _WithCredential:
    """The sign-in request as tenancy's resolvers see it: its headers are only the Host and
    the credential; everything else (remote address, app, per-request storage) is the
    request's own. (``Request.clone`` cannot be used: the form was read already.)"""

    def __init__(self, request: web.Request, name: str, value: str) -> None:
        self._request = request
        self.headers = CIMultiDictProxy(CIMultiDict({"Host": request.host, name: value}))

    @property
    def host(self) -> str:
        """The request's host, as the resolvers read it for subdomains."""
        return self._request.host

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)

    def __getitem__(self, key: Any) -> Any:
        return self._request[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._request[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._request

    def get(self, key: Any, default: Any = None) -> Any:
        """Per-request storage, as ``web.Request.get``."""
        return self._request.get(key, default)


def _as_header(request: web.Request, name: str, value: str) -> web.Request:
    return cast(web.Request, _WithCredential(request, name, value))


async def sign_in(request: web.Request, tenancy: Tenancy, credential: str) -> SignedIn:
    """Who ``credential`` is.

    Raises:
        AuthenticationError: it matches nothing (bad key, bad token, unknown tenant).
        ForbiddenError: it is valid but may not sign in (a suspended tenant's).
    """
    credential = credential.strip()
    if not credential:
        raise AuthenticationError("paste an admin token, an API key or a JWT")
    if credential.startswith("wk_"):
        tenant, principal = await resolve_tenant(
            _as_header(request, "X-API-Key", credential), tenancy
        )
        prefix = principal.actor.rpartition(":key:")[2] or None
        return SignedIn(
            kind="tenant", actor=principal.actor, tenant_id=tenant.tenant_id, key_prefix=prefix
        )
    bearer = _as_header(request, "Authorization", f"Bearer {credential}")
    try:
        admin = await authenticate_admin(bearer, tenancy)
    except ForbiddenError:
        # A valid JWT without the admin role: a tenant user's, if it names a tenant.
        tenant, principal = await resolve_tenant(bearer, tenancy)
        return SignedIn(
            kind="tenant",
            actor=principal.actor,
            tenant_id=tenant.tenant_id,
            expires_at=_jwt_expiry(credential),
        )
    if admin.actor == "admin:token":
        return SignedIn(
            kind="admin", actor=admin.actor, admin_token_digest=admin_token_digest(tenancy)
        )
    return SignedIn(kind="admin", actor=admin.actor, expires_at=_jwt_expiry(credential))
