"""The console sub-application, mounted by the gateway at ``/console``.

Route names carry who may see a page (``public.*``, ``user.*``, ``operator.*``: see
:mod:`pipeline.console.middleware`); ``{tenant}`` in a path puts the page in that tenant's
scope. The console opens nothing of its own at start: it takes the gateway's clients once
they are open, and a Kafka producer only when an operator first replays or releases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web

from pipeline.console.doctor import ConnectionDoctor, StoredFactsDoctor
from pipeline.console.middleware import access, html_errors, security_headers
from pipeline.console.pipeline_health import HealthCache
from pipeline.console.producer import LazyProducer
from pipeline.console.render import Templates
from pipeline.console.session import SessionStore
from pipeline.console.state import STATE_KEY, ConsoleState
from pipeline.console.views import (
    auth,
    connections,
    conversations,
    dead_letters,
    health,
    keys,
    tenants,
    usage,
)
from pipeline.gateway.keys import RESOURCES_KEY, SETTINGS_KEY
from pipeline.runtime.resources import Resources
from tenancy.http.context import TENANCY_KEY
from tenancy.services import Tenancy

PREFIX = "/console"
STATIC = Path(__file__).parent / "static"
_T = "/t/{tenant:[a-z0-9][a-z0-9_-]{0,62}}"

DoctorFactory = Callable[[Tenancy, Resources], ConnectionDoctor]


def _stored_facts(tenancy: Tenancy, resources: Resources) -> ConnectionDoctor:
    return StoredFactsDoctor(tenancy, resources.postgres)


def _routes(app: web.Application) -> None:
    r = app.router
    sign_in = r.add_resource("/sign-in", name="public.sign_in")
    sign_in.add_route("GET", auth.sign_in_page)
    sign_in.add_route("POST", auth.sign_in_submit)
    r.add_static("/static", STATIC, name="public.static")
    r.add_get("", auth.home, name="user.home_bare")
    r.add_get("/", auth.home, name="user.home")
    r.add_post("/sign-out", auth.sign_out, name="user.sign_out")

    r.add_get(f"{_T}/connections", connections.connections_page, name="user.connections")
    r.add_get(f"{_T}/connections/live", connections.connections_live, name="user.conn_live")
    r.add_post(f"{_T}/credentials", connections.put_credentials, name="user.credentials")
    listing = r.add_resource(f"{_T}/keys", name="user.keys")
    listing.add_route("GET", keys.keys_page)
    listing.add_route("POST", keys.create_key)
    r.add_post(f"{_T}/keys/{{key:[0-9a-f-]{{36}}}}/revoke", keys.revoke_key, name="user.revoke")
    r.add_get(f"{_T}/usage", usage.usage_page, name="user.usage")
    r.add_get(f"{_T}/conversations", conversations.conversations_page, name="user.convs")
    r.add_get(
        f"{_T}/conversations/{{wa_id:[0-9]{{5,20}}}}",
        conversations.conversation_page,
        name="user.conversation",
    )
    r.add_get(f"{_T}/messages", conversations.find_message, name="user.find_message")
    r.add_get(f"{_T}/messages/{{message}}", conversations.journey_page, name="user.journey")

    everyone = r.add_resource("/tenants", name="operator.tenants")
    everyone.add_route("GET", tenants.tenants_page)
    everyone.add_route("POST", tenants.create_tenant)
    one = "/tenants/{tenant:[a-z0-9][a-z0-9_-]{0,62}}"
    r.add_post(f"{one}/status", tenants.set_status, name="operator.tenant_status")
    r.add_post(f"{one}/plan", tenants.set_plan, name="operator.tenant_plan")
    r.add_get("/ops/health", health.health_page, name="operator.health")
    r.add_get("/ops/health/live", health.health_live, name="operator.health_live")
    r.add_get("/ops/dlq", dead_letters.dlq_page, name="operator.dlq")
    r.add_get("/ops/dlq/confirm", dead_letters.dlq_confirm, name="operator.dlq_confirm")
    r.add_post("/ops/dlq/replay", dead_letters.dlq_replay, name="operator.dlq_replay")
    r.add_get("/ops/held", dead_letters.held_page, name="operator.held")
    r.add_get("/ops/held/confirm", dead_letters.held_confirm, name="operator.held_confirm")
    r.add_post("/ops/held/release", dead_letters.held_release, name="operator.held_release")


def add_console(parent: web.Application, doctor: DoctorFactory = _stored_facts) -> None:
    """Mount the console on the gateway ``parent`` (whose lifespan opens the clients first).

    ``doctor`` builds the connection checker the connections page shows; the default tells
    what wagen stores (see :mod:`pipeline.console.doctor`).
    """
    console = web.Application(middlewares=[security_headers, html_errors, access])

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        settings, resources = parent[SETTINGS_KEY], parent[RESOURCES_KEY]
        tenancy = parent[TENANCY_KEY]
        producer = LazyProducer(settings.kafka)
        app[STATE_KEY] = ConsoleState(
            settings=settings,
            tenancy=tenancy,
            resources=resources,
            sessions=SessionStore(
                resources.redis,
                key_prefix=settings.tenancy.redis_prefix,
                ttl_s=settings.console.session_ttl_s,
            ),
            templates=Templates(),
            health=HealthCache(settings.kafka, settings.worker.app_id),
            producer=producer,
            doctor=doctor(tenancy, resources),
        )
        try:
            yield
        finally:
            await producer.close()

    console.cleanup_ctx.append(lifespan)
    _routes(console)
    parent.add_subapp(PREFIX, console)
