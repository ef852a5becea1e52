"""What the console keeps for the gateway's lifespan, and who is looking at a page.

The console is a sub-application of the gateway: it reuses the gateway's clients (the
PostgreSQL pool, Redis, Vault, the tenancy services) and adds only its session store, its
templates, a small cache of pipeline health and a Kafka producer opened on the first replay.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from pipeline.console.doctor import ConnectionDoctor
from pipeline.console.pipeline_health import HealthCache
from pipeline.console.producer import LazyProducer
from pipeline.console.render import Templates
from pipeline.console.session import Session, SessionStore
from pipeline.console.signin import admin_token_digest
from pipeline.runtime.resources import Resources
from pipeline.settings import WagenSettings
from tenancy.errors import NotFoundError
from tenancy.models import Tenant
from tenancy.services import Tenancy


@dataclass(frozen=True)
class ConsoleState:
    """The console's share of the gateway."""

    settings: WagenSettings
    tenancy: Tenancy
    resources: Resources
    sessions: SessionStore
    templates: Templates
    health: HealthCache
    producer: LazyProducer
    doctor: ConnectionDoctor


STATE_KEY = web.AppKey("console_state", ConsoleState)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person behind a request."""

    session_id: str
    session: Session

    @property
    def operator(self) -> bool:
        """An operator sees every tenant and the pipeline; a tenant user only its tenant."""
        return self.session.operator

    @property
    def tenant_id(self) -> str | None:
        """A tenant user's tenant (None for operators)."""
        return self.session.who.tenant_id

    @property
    def actor(self) -> str:
        """The audit label of the credential used to sign in."""
        return self.session.who.actor


VIEWER_KEY = web.RequestKey("console_viewer", Viewer)
TENANT_KEY = web.RequestKey("console_tenant", Tenant)


def state(request: web.Request) -> ConsoleState:
    """The console's state (the handlers run in the console sub-application)."""
    return request.config_dict[STATE_KEY]


def viewer(request: web.Request) -> Viewer:
    """Who is signed in (set by the access middleware on every non-public route)."""
    if VIEWER_KEY not in request:
        raise RuntimeError("console route reached without a session")  # a wiring bug
    return request[VIEWER_KEY]


def page_tenant(request: web.Request) -> Tenant:
    """The tenant of a ``/console/t/{tenant}/...`` page, checked against the viewer."""
    if TENANT_KEY not in request:
        raise RuntimeError("tenant page reached without tenant scope")  # a wiring bug
    return request[TENANT_KEY]


async def still_valid(session: Session, tenancy: Tenancy) -> bool:
    """Whether the credential behind a session still holds: same admin token, tenant still
    active, API key not revoked. Checked on every request, so a revocation or suspension
    signs its users out at once."""
    who = session.who
    if who.kind == "admin":
        return who.admin_token_digest is None or who.admin_token_digest == admin_token_digest(
            tenancy
        )
    if who.tenant_id is None:
        return False
    try:
        tenant = await tenancy.tenants.get(who.tenant_id)
    except NotFoundError:
        return False
    if tenant.status != "active":
        return False
    if who.key_prefix is None:
        return True
    keys = await tenancy.keys.list_keys(tenant.tenant_id)
    return any(k.prefix == who.key_prefix and k.revoked_at is None for k in keys)
