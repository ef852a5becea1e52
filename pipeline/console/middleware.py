"""The console's three middlewares: security headers, HTML errors, and access with CSRF.

Route names carry the access rule, as tenancy's do: ``public.*`` (sign-in, static files),
``user.*`` (anyone signed in) and ``operator.*`` (operators only). A page under
``/console/t/{tenant}/`` is shown only for a tenant the viewer may see: a tenant user naming
another tenant, an operator naming a tenant that does not exist, and a tenant user on an
operator page all get the same 404 as a page that does not exist, so nothing tells another
tenant's id from a wrong one.

Every POST past sign-in carries the session's CSRF token in a hidden field (compared in
constant time) and must come from this origin (``Origin`` / ``Sec-Fetch-Site`` when the browser
sends them); the session cookie is ``SameSite=Strict`` on top.
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import quote, urlsplit

import asyncpg
import redis.exceptions
from aiohttp import web
from aiohttp.typedefs import Handler
from aiokafka.errors import KafkaError

from pipeline.console.errors import FormError
from pipeline.console.session import COOKIE
from pipeline.console.state import TENANT_KEY, VIEWER_KEY, Viewer, state, still_valid
from pipeline.console.views.common import error_page, see_other
from schemas.errors import WagenError
from tenancy.errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
)

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
_UNAVAILABLE = (
    OSError,
    TimeoutError,
    KafkaError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
_STATUS: dict[type[WagenError], int] = {
    FormError: 400,
    InvalidRequestError: 400,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: every console response, error pages included, gets the strict headers;
    pages are never cached (a key shown once must not come back from a cache)."""
    response = await handler(request)
    response.headers.update(_HEADERS)
    static = (request.match_info.route.name or "") == "public.static"
    response.headers["Cache-Control"] = "private, max-age=300" if static else "no-store"
    return response


def _status_of(exc: WagenError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 503 if exc.retriable else 500


@web.middleware
async def html_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Failures as pages: a 404 is the same page whatever was missing; a dependency that is
    down is a 503 saying so; anything unexpected is logged and a bland 500."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_page(request, exc.status)
    except WagenError as exc:
        status = _status_of(exc)
        if status >= 500:
            log.warning("console request failed", extra={"code": exc.code})
        return error_page(request, status, exc.message if status < 500 and status != 404 else None)
    except _UNAVAILABLE as exc:
        log.warning("console dependency unavailable", extra={"error": type(exc).__name__})
        return error_page(request, 503)
    except Exception:
        log.exception("console page failed")
        return error_page(request, 500)


def same_origin(request: web.Request) -> bool:
    """Whether a form post came from a page of this console (when the browser says).

    ``Sec-Fetch-Site`` (sent by current browsers) must say same-origin; ``Origin`` must name
    this host, or be ``null`` (some browsers send that under a strict referrer policy) on a
    request the browser itself marks same-origin.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin == "null":
        return site == "same-origin"
    return urlsplit(origin).netloc == request.host


async def _viewer(request: web.Request) -> Viewer | None:
    console = state(request)
    session_id = request.cookies.get(COOKIE, "")
    session = await console.sessions.load(session_id)
    if session is None:
        return None
    if not await still_valid(session, console.tenancy):
        await console.sessions.end(session_id)
        return None
    return Viewer(session_id, session)


def _to_sign_in(request: web.Request) -> web.Response:
    path = request.path_qs if request.method == "GET" else ""
    target = "/console/sign-in" + (f"?next={quote(path, safe='')}" if path else "?ended=1")
    return see_other(target)


@web.middleware
async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sessions, CSRF, operator pages and tenant scope, by route name."""
    scope = (request.match_info.route.name or "").partition(".")[0]
    if scope == "public":
        return await handler(request)
    viewer = await _viewer(request)
    if viewer is None:
        return _to_sign_in(request)
    request[VIEWER_KEY] = viewer
    if request.method == "POST":
        form = await request.post()
        sent = form.get("csrf")
        if (
            not isinstance(sent, str)
            or not hmac.compare_digest(sent.encode(), viewer.session.csrf.encode())
            or not same_origin(request)
        ):
            return error_page(
                request,
                403,
                "This form has expired or did not come from this console. Reload the page "
                "and try again.",
            )
    if scope == "operator" and not viewer.operator:
        raise web.HTTPNotFound()
    tenant_id = request.match_info.get("tenant")
    if tenant_id is not None:
        if not viewer.operator and tenant_id != viewer.tenant_id:
            raise web.HTTPNotFound()
        try:
            request[TENANT_KEY] = await state(request).tenancy.tenants.get(tenant_id)
        except NotFoundError:
            raise web.HTTPNotFound() from None
    return await handler(request)
