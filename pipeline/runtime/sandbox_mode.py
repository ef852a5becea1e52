"""Sandbox mode (``WAGEN_SANDBOX=1``): wagen wired to its two simulators, with a demo tenant.

``make run`` starts this: the Meta and Genesys simulators run beside the gateway and the
worker, the connectors point at them, and the tenant ``demo`` is onboarded through the same
path an operator's requests take (:mod:`tenancy.onboarding`): its Meta credentials are
checked against the simulated number and its app subscribed to the WABA with a callback
override to the local gateway; from its Genesys client id, secret and region the simulated
Genesys gets an Open Messaging integration pointing at the gateway, with a webhook secret
only Vault knows. The accounts below are the simulators' own, not secrets of any real
account.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Imported where used: the CLI reads DEMO for its --help, which must stay light.
    import aiohttp

    from pipeline.settings import WagenSettings
    from tenancy.onboarding.models import CredentialsConnected

READY_TIMEOUT_S = 90.0
"""How long ``wagen run`` waits for the simulators and the gateway to answer."""


@dataclass(frozen=True)
class DemoTenant:
    """The demo tenant and the simulator accounts it is onboarded with."""

    tenant_id: str = "demo"
    phone_number_id: str = "100000000000001"
    meta_access_token: str = "sandbox-meta-access-token"  # noqa: S105  (simulator account)
    meta_app_secret: str = "sandbox-meta-app-secret"  # noqa: S105  (simulator account)
    meta_verify_token: str = "sandbox-verify-token"  # noqa: S105  (simulator account)
    genesys_client_id: str = "sandbox-client"
    genesys_client_secret: str = "sandbox-client-secret"  # noqa: S105  (simulator account)
    genesys_region: str = "mypurecloud.com"
    customer_wa_id: str = "15551234567"

    def meta_credentials(self) -> dict[str, str]:
        """The integration guide's Meta body."""
        return {
            "appSecret": self.meta_app_secret,
            "verifyToken": self.meta_verify_token,
            "accessToken": self.meta_access_token,
            "phoneNumberId": self.phone_number_id,
        }

    def genesys_credentials(self) -> dict[str, str]:
        """The integration guide's Genesys body: no integration id, no webhook secret."""
        return {
            "clientId": self.genesys_client_id,
            "clientSecret": self.genesys_client_secret,
            "region": self.genesys_region,
        }


DEMO = DemoTenant()


def meta_url(settings: WagenSettings) -> str:
    """Base URL of the Meta simulator."""
    return f"http://{settings.simulators.host}:{settings.simulators.meta_port}"


def genesys_url(settings: WagenSettings) -> str:
    """Base URL of the Genesys simulator."""
    return f"http://{settings.simulators.host}:{settings.simulators.genesys_port}"


def gateway_url(settings: WagenSettings) -> str:
    """Base URL of the gateway, as the simulators call it."""
    return f"http://{settings.gateway.host}:{settings.gateway.port}"


def with_sandbox(settings: WagenSettings) -> WagenSettings:
    """In sandbox mode, the same settings with both connectors pointed at the simulators and
    the public URL registered with them at the local gateway."""
    if not settings.sandbox:
        return settings
    meta = settings.meta.model_copy(
        update={
            "graph_url": meta_url(settings),
            # The simulator serves media downloads itself; the token may go there.
            "media_hosts": (*settings.meta.media_hosts, settings.simulators.host),
        }
    )
    genesys = settings.genesys.model_copy(
        update={"login_url": genesys_url(settings), "api_url": genesys_url(settings)}
    )
    onboarding = settings.onboarding.model_copy(update={"public_url": gateway_url(settings)})
    return settings.model_copy(update={"meta": meta, "genesys": genesys, "onboarding": onboarding})


def simulator_env(settings: WagenSettings) -> dict[str, str]:
    """Environment that starts each simulator with the demo tenant's vendor accounts: a
    business number and its token at Meta, an OAuth client at Genesys (nothing else: the
    integration and the webhook subscription are onboarding's to make)."""
    return {
        "WAGEN_SANDBOX_META_PHONE_NUMBER_ID": DEMO.phone_number_id,
        "WAGEN_SANDBOX_META_ACCESS_TOKEN": DEMO.meta_access_token,
        "WAGEN_SANDBOX_META_APP_SECRET": DEMO.meta_app_secret,
        "WAGEN_SANDBOX_GENESYS_CLIENT_ID": DEMO.genesys_client_id,
        "WAGEN_SANDBOX_GENESYS_CLIENT_SECRET": DEMO.genesys_client_secret,
    }


async def _wait_ready(settings: WagenSettings) -> None:
    import aiohttp

    urls = [
        f"{meta_url(settings)}/_sandbox/health",
        f"{genesys_url(settings)}/_sandbox/health",
        f"{gateway_url(settings)}/healthz",
    ]
    deadline = time.monotonic() + READY_TIMEOUT_S
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        for url in urls:
            while True:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(url) as response:
                        if response.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} did not answer within {READY_TIMEOUT_S:g}s")
                await asyncio.sleep(0.2)


async def _bootstrap(settings: WagenSettings) -> list[CredentialsConnected]:
    from pipeline.runtime.onboarding import open_onboarding
    from pipeline.runtime.resources import open_resources, tenancy_services
    from tenancy.audit import Actor
    from tenancy.errors import ConflictError
    from tenancy.models import CredentialsWrite, TenantCreate

    actor = Actor(label="cli:sandbox", request_id=None)
    await _wait_ready(settings)
    async with open_resources(settings) as resources:
        tenancy = tenancy_services(settings, resources)
        # Already there from an earlier run: keep it.
        with contextlib.suppress(ConflictError):
            await tenancy.tenants.create(
                TenantCreate(tenant_id=DEMO.tenant_id, name="Sandbox demo", plan=None), actor
            )
        bodies: list[dict[str, Any]] = [
            {"type": "meta", "credentials": DEMO.meta_credentials()},
            {"type": "genesys", "credentials": DEMO.genesys_credentials()},
        ]
        connected: list[CredentialsConnected] = []
        async with open_onboarding(settings, resources, tenancy) as onboarding:
            # The simulators start empty each run: onboard again (Vault keeps versions).
            for body in bodies:
                write = CredentialsWrite.model_validate(body)
                connected.append(await onboarding.connect(DEMO.tenant_id, write, actor))
        return connected


async def demo_integration_id(settings: WagenSettings, session: aiohttp.ClientSession) -> str:
    """The id of the Genesys integration onboarding created for the demo tenant: Genesys
    chose it, so it is looked up (by the name wagen gave it) in the Genesys simulator."""
    name = settings.onboarding.integration_name_of(DEMO.tenant_id)
    async with session.get(f"{genesys_url(settings)}/_sandbox/integrations") as response:
        found = (await response.json())["integrations"]
    for integration in found:
        if integration.get("name") == name:
            return str(integration["id"])
    raise LookupError(f"no integration {name!r} in the Genesys simulator yet")


def bootstrap_demo_tenant(settings: WagenSettings) -> list[CredentialsConnected]:
    """Wait for the simulators and the gateway, then onboard the demo tenant through the
    onboarding service (what ``POST /tenants/demo/credentials`` runs)."""
    return asyncio.run(_bootstrap(settings))


def instructions(settings: WagenSettings) -> str:
    """What to type to watch a conversation cross the bridge."""
    return f"""
wagen is running in sandbox mode: tenant "{DEMO.tenant_id}", Meta simulator {meta_url(settings)},
Genesys simulator {genesys_url(settings)}, gateway {gateway_url(settings)}.
The demo tenant was onboarded as an operator would: its Genesys integration was created and
its Meta app subscribed through the simulators (wagen tenants doctor {DEMO.tenant_id}).

In another terminal (.venv/bin/wagen ...):
  customer -> agent:  wagen sandbox send-customer-message --text "Hello, my order is late"
  agent -> customer:  wagen sandbox send-agent-reply --text "Sorry! Checking it now."
  what arrived where: wagen sandbox inspect
Ctrl-C stops everything.
"""
