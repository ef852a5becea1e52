"""The Meta Graph API simulator (``wagen sandbox meta``): an aiohttp app over
:class:`~connectors.sandbox.meta_state.MetaSandbox`.

Graph routes: ``POST /{version}/{phone_number_id}/messages`` and ``/media``,
``GET``/``DELETE /{version}/{media_id}``, the media download URL
``/whatsapp_business/attachments/``, and the business-account routes of
:mod:`connectors.sandbox.meta_business` (a number's description, ``debug_token``, a WABA's
numbers and webhook subscriptions). Control routes live under ``/_sandbox``.
"""

from __future__ import annotations

from aiohttp import web

from connectors.sandbox import meta_control as control
from connectors.sandbox import meta_events as events
from connectors.sandbox import meta_graph as graph
from connectors.sandbox.common import (
    CONTROL_PREFIX,
    FAILURES_KEY,
    delay_middleware,
    health,
    webhook_session_ctx,
)
from connectors.sandbox.meta_business import add_business_routes
from connectors.sandbox.meta_state import MetaSandbox, NumberConfig

_VERSION = r"{version:v[0-9]+\.[0-9]+}"
_MAX_UPLOAD = 101 * 1024 * 1024


def create_meta_app(
    sandbox: MetaSandbox | None = None, *, numbers: tuple[NumberConfig, ...] = ()
) -> web.Application:
    """The simulator app; pass ``sandbox`` to share its state with a test."""
    state = sandbox or MetaSandbox()
    for number in numbers:
        state.numbers[number.phone_number_id] = number
    app = web.Application(client_max_size=_MAX_UPLOAD, middlewares=[delay_middleware])
    app[graph.META_KEY] = state
    app[FAILURES_KEY] = state.failures
    app.cleanup_ctx.append(webhook_session_ctx(control.SESSION_KEY))
    routes = app.router
    routes.add_post(f"/{_VERSION}/{{phone_number_id:[0-9]+}}/messages", graph.send_messages)
    routes.add_post(f"/{_VERSION}/{{phone_number_id:[0-9]+}}/media", graph.upload_media)
    # Also GET /{version}/{id}: a business number's description, or a media look-up.
    add_business_routes(app, _VERSION)
    routes.add_delete(f"/{_VERSION}/{{media_id:[0-9]+}}", graph.delete_media)
    routes.add_get("/whatsapp_business/attachments/", graph.media_download)
    prefix = CONTROL_PREFIX
    routes.add_get(f"{prefix}/health", health)
    routes.add_post(f"{prefix}/numbers", control.add_number)
    routes.add_post(f"{prefix}/tokens/revoke", control.revoke_token)
    routes.add_post(f"{prefix}/wabas", control.set_waba)
    routes.add_get(f"{prefix}/subscriptions", control.list_subscriptions)
    routes.add_post(f"{prefix}/media", control.seed_media)
    routes.add_post(f"{prefix}/windows", control.set_window)
    routes.add_post(f"{prefix}/failures", control.add_failure)
    routes.add_post(f"{prefix}/webhooks/message", control.emit_message)
    routes.add_post(f"{prefix}/webhooks/status", control.emit_status)
    routes.add_post(f"{prefix}/webhooks/system", control.emit_system)
    routes.add_get(f"{prefix}/requests", control.list_requests)
    routes.add_get(f"{prefix}/sent", control.list_sent)
    events.install(app, prefix)
    return app
