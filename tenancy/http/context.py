"""What tenancy keeps on the aiohttp app and request, with typed accessors."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from tenancy.audit import Actor
from tenancy.models import Tenant
from tenancy.onboarding.service import Onboarding
from tenancy.services import Tenancy

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class Principal:
    """Who the access middleware found behind a request."""

    kind: Literal["admin", "tenant"]
    actor: str


TENANCY_KEY = web.AppKey("tenancy", Tenancy)
ONBOARDING_KEY = web.AppKey("onboarding", Onboarding)
REQUEST_ID_KEY = web.RequestKey("request_id", str)
PRINCIPAL_KEY = web.RequestKey("principal", Principal)
TENANT_KEY = web.RequestKey("tenant", Tenant)
"""``request[TENANT_KEY]``: the resolved tenant of a tenant route."""
CLIENT_ADDRESS_KEY = web.RequestKey("client_address", str)
"""``request[CLIENT_ADDRESS_KEY]``: the caller's address, as the gateway's trusted proxies
say (set by the gateway before any route runs)."""


def services(request: web.Request) -> Tenancy:
    """The process's tenancy services."""
    return request.app[TENANCY_KEY]


def onboarding(request: web.Request) -> Onboarding:
    """The process's onboarding service (credentials checked live, vendors provisioned)."""
    return request.app[ONBOARDING_KEY]


def request_id(request: web.Request) -> str:
    """The caller's ``X-Request-Id`` when it is sane, else a new one; stable per request."""
    if REQUEST_ID_KEY in request:
        return request[REQUEST_ID_KEY]
    given = request.headers.get(REQUEST_ID_HEADER, "")
    rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    request[REQUEST_ID_KEY] = rid
    return rid


def client_address(request: web.Request) -> str:
    """The caller's address: the gateway's verdict, else the TCP peer."""
    if CLIENT_ADDRESS_KEY in request:
        return request[CLIENT_ADDRESS_KEY]
    return request.remote or "unknown"


def actor(request: web.Request) -> Actor:
    """The audit actor of this request (set by the access middleware)."""
    if PRINCIPAL_KEY not in request:
        raise RuntimeError("route reached without the access middleware")  # a wiring bug
    principal = request[PRINCIPAL_KEY]
    return Actor(label=principal.actor, request_id=request_id(request))


def current_tenant(request: web.Request) -> Tenant:
    """The tenant the middleware resolved."""
    if TENANT_KEY not in request:
        raise RuntimeError("tenant route reached without tenant resolution")  # a wiring bug
    return request[TENANT_KEY]


def current_tenant_or_none(request: web.Request) -> Tenant | None:
    """The tenant the middleware resolved, on a route an admin may call too (else None)."""
    return request.get(TENANT_KEY)
