"""The console in ``make run``: its address, and a sign-in key for the sandbox's demo tenant.

``make run`` creates the demo tenant once and keeps it across runs, so its first API key was
shown long ago. Each sandbox start therefore issues a key named ``sandbox console`` for the
console (revoking the previous run's), and prints it with the console's address: the sandbox
is for trying things, and this is its one key that is shown more than at creation — on the
terminal of the person who started it, never in a page or a log.
"""

from __future__ import annotations

import asyncio

from pipeline.runtime.resources import open_resources, tenancy_services
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.services import Tenancy

DEMO_KEY_NAME = "sandbox console"
_ACTOR = Actor(label="cli:sandbox", request_id=None)


def console_url(settings: WagenSettings) -> str:
    """Where the gateway serves the console."""
    return f"http://{settings.gateway.host}:{settings.gateway.port}/console/"


async def renew_demo_key(tenancy: Tenancy, tenant_id: str) -> str:
    """A new sign-in key for the demo tenant; the earlier runs' ones stop working."""
    for key in await tenancy.keys.list_keys(tenant_id):
        if key.name == DEMO_KEY_NAME and key.revoked_at is None:
            await tenancy.keys.revoke(tenant_id, key.key_id, _ACTOR)
    created = await tenancy.keys.create(tenant_id, DEMO_KEY_NAME, _ACTOR)
    return created.key


async def _issue(settings: WagenSettings, tenant_id: str) -> str:
    async with open_resources(settings) as resources:
        return await renew_demo_key(tenancy_services(settings, resources), tenant_id)


def issue_demo_key(settings: WagenSettings, tenant_id: str) -> str:
    """:func:`renew_demo_key` with the process's own clients (``wagen run`` startup)."""
    return asyncio.run(_issue(settings, tenant_id))


def console_lines(settings: WagenSettings, demo: tuple[str, str] | None = None) -> str:
    """What ``wagen run`` prints about the console (``demo``: tenant id and its key)."""
    lines = [f"Web console: {console_url(settings)}"]
    if demo is not None:
        lines.append(f"  tenant {demo[0]!r} signs in with the API key {demo[1]}")
    jwt = settings.jwt
    if settings.admin.token is not None:
        lines.append("  operators sign in with the value of WAGEN_ADMIN_TOKEN")
    elif jwt.secret is not None or jwt.public_key_file is not None or jwt.jwks_file is not None:
        lines.append("  operators sign in with an admin JWT")
    else:
        lines.append("  operators: set WAGEN_ADMIN_TOKEN to sign in as an operator")
    return "\n".join(lines)
