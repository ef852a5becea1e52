"""Sign-in, sign-out, and the landing page of each kind of viewer."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import time

from aiohttp import web

from pipeline.console.errors import FormError
from pipeline.console.forms import read_form
from pipeline.console.middleware import same_origin
from pipeline.console.session import COOKIE
from pipeline.console.signin import MAX_CREDENTIAL, sign_in
from pipeline.console.state import state, viewer
from pipeline.console.views.common import render, see_other
from tenancy.errors import AuthenticationError, ForbiddenError

SIGN_IN_COOKIE = "wagen_console_signin"
"""A one-off token tying the sign-in form to this browser (login CSRF), before any session."""

_NOTICES = {
    "out": "You are signed out.",
    "ended": "Your session ended: sign in again.",
}


def cookie_secure(request: web.Request) -> bool:
    """``Secure`` unless the console is reached over plain HTTP on this machine (the
    sandbox): a browser would drop a Secure cookie there, and nothing crosses a network."""
    if request.secure:
        return True
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    host = host.strip("[]")
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def _home(who_operator: bool, tenant_id: str | None) -> str:
    return "/console/tenants" if who_operator else f"/console/t/{tenant_id}/connections"


def _next(target: str | None) -> str | None:
    """A place to go after sign-in: a console path only (never another site)."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target if "\\" not in target else None
    return None


async def home(request: web.Request) -> web.StreamResponse:
    """``/console``: the viewer's own starting page."""
    who = viewer(request)
    return see_other(_home(who.operator, who.tenant_id))


def _sign_in_form(
    request: web.Request, status: int = 200, error: str | None = None
) -> web.Response:
    token = secrets.token_urlsafe(24)
    notice = _NOTICES.get(next((k for k in _NOTICES if k in request.query), ""))
    response = render(
        request,
        "sign_in.html",
        status,
        token=token,
        error=error,
        notice=notice,
        next=_next(request.query.get("next")) or "",
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=cookie_secure(request),
        path="/console/sign-in",
        max_age=900,
    )
    return response


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """``GET /console/sign-in``."""
    return _sign_in_form(request)


async def sign_in_submit(request: web.Request) -> web.StreamResponse:
    """``POST /console/sign-in``: the credential resolved as the APIs resolve it."""
    try:
        form = await read_form(request)
    except FormError:
        return _sign_in_form(request, 400, "The credential contains characters wagen never uses.")
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    sent = form.get("token", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _sign_in_form(request, 403, "This sign-in form expired. Please try again.")
    if not same_origin(request):
        return _sign_in_form(request, 403, "Sign in from this console's own page.")
    credential = form.get("credential", "")
    if len(credential) > MAX_CREDENTIAL:
        return _sign_in_form(request, 400, "That is longer than any wagen credential.")
    console = state(request)
    try:
        who = await sign_in(request, console.tenancy, credential)
    except AuthenticationError as exc:
        return _sign_in_form(request, 401, f"Not signed in: {exc.message}.")
    except ForbiddenError as exc:
        return _sign_in_form(request, 403, f"Not signed in: {exc.message}.")
    # A browser signing in again leaves no older session of its own behind.
    await console.sessions.end(request.cookies.get(COOKIE))
    session_id, session = await console.sessions.create(who)
    target = _next(form.get("next")) or _home(who.kind == "admin", who.tenant_id)
    response = see_other(target)
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        samesite="Strict",
        secure=cookie_secure(request),
        path="/console",
        max_age=max(1, int(session.expires_at - time.time())),
    )
    response.del_cookie(SIGN_IN_COOKIE, path="/console/sign-in")
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    """``POST /console/sign-out``: the session ends on the server, the cookie is dropped."""
    await state(request).sessions.end(viewer(request).session_id)
    response = see_other("/console/sign-in?out=1")
    response.del_cookie(COOKIE, path="/console")
    return response
