"""What every view uses: rendering a page with the shared context, error pages, the audit
actor of the signed-in person."""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from pipeline.console.render import html
from pipeline.console.state import TENANT_KEY, VIEWER_KEY, state
from tenancy.audit import Actor
from tenancy.http.context import request_id

_TITLES: Final = {
    400: "This request could not be used",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Already there",
    413: "Too large",
    500: "Something went wrong",
    503: "A service wagen needs is unavailable",
}
_TEXTS: Final = {
    404: "There is no such page, or it is not yours to see.",
    500: "The error was logged. Try again; if it persists, tell the operator the request id.",
    503: "Kafka, PostgreSQL, Redis or Vault did not answer. Try again in a moment.",
}


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """``template`` with the page's context: the viewer, the tenant in scope, the CSRF token
    for forms, and the request id (shown in the footer, to quote to an operator)."""
    viewer = request.get(VIEWER_KEY)
    shared = {
        "viewer": viewer,
        "csrf": viewer.session.csrf if viewer is not None else "",
        "scope": request.get(TENANT_KEY),
        "request_id": request_id(request),
        "path": request.path,
    }
    return html(state(request).templates.render(template, {**shared, **context}), status)


def error_page(request: web.Request, status: int, message: str | None = None) -> web.Response:
    """The one error page; a 404 never says what was missing."""
    text = message if message is not None and status != 404 else _TEXTS.get(status, "")
    return render(
        request,
        "error.html",
        status,
        title=_TITLES.get(status, f"Error {status}"),
        message=text,
        code=status,
    )


def actor_of(request: web.Request) -> Actor:
    """The audit actor: the signed-in credential's label, the request id."""
    viewer = request[VIEWER_KEY]
    return Actor(label=viewer.actor, request_id=request_id(request))


def see_other(location: str) -> web.Response:
    """Post/redirect/get: a form's success goes to a page that a reload does not resubmit
    (returned, not raised, so it gets the console's headers like any page)."""
    return web.Response(status=303, headers={"Location": location})
