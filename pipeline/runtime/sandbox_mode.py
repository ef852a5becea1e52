"""Sandbox mode (``WAGEN_SANDBOX=1``): wagen wired to its two simulators, with a demo tenant.

``make run`` starts this: the Meta and Genesys simulators run beside the gateway and the
worker, the connectors point at them, and a tenant ``demo`` gets sandbox credentials in
Vault, so a customer message and an agent reply can travel the whole way on one machine.
The credentials below are the simulators' own, not secrets of any real account.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    # Imported where used: the CLI reads DEMO for its --help, which must stay light.
    from pipeline.settings import WagenSettings


@dataclass(frozen=True)
class DemoTenant:
    """The demo tenant and the simulator accounts it is wired to."""

    tenant_id: str = "demo"
    phone_number_id: str = "100000000000001"
    meta_access_token: str = "sandbox-meta-access-token"  # noqa: S105  (simulator account)
    meta_app_secret: str = "sandbox-meta-app-secret"  # noqa: S105  (simulator account)
    meta_verify_token: str = "sandbox-verify-token"  # noqa: S105  (simulator account)
    genesys_client_id: str = "sandbox-client"
    genesys_client_secret: str = "sandbox-client-secret"  # noqa: S105  (simulator account)
    genesys_integration_id: str = "5a7ef3f0-0000-4000-8000-00000000de00"
    genesys_webhook_secret: str = "sandbox-outbound-webhook-secret"  # noqa: S105
    customer_wa_id: str = "15551234567"


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
    """In sandbox mode, the same settings with both connectors pointed at the simulators."""
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
    return settings.model_copy(update={"meta": meta, "genesys": genesys})


def simulator_env(settings: WagenSettings) -> dict[str, str]:
    """Environment that starts each simulator with the demo tenant's accounts."""
    gateway = gateway_url(settings)
    return {
        "WAGEN_SANDBOX_META_PHONE_NUMBER_ID": DEMO.phone_number_id,
        "WAGEN_SANDBOX_META_ACCESS_TOKEN": DEMO.meta_access_token,
        "WAGEN_SANDBOX_META_APP_SECRET": DEMO.meta_app_secret,
        "WAGEN_SANDBOX_META_WEBHOOK_URL": f"{gateway}/webhooks/meta/{DEMO.tenant_id}",
        "WAGEN_SANDBOX_GENESYS_CLIENT_ID": DEMO.genesys_client_id,
        "WAGEN_SANDBOX_GENESYS_CLIENT_SECRET": DEMO.genesys_client_secret,
        "WAGEN_SANDBOX_GENESYS_INTEGRATION_ID": DEMO.genesys_integration_id,
        "WAGEN_SANDBOX_GENESYS_WEBHOOK_URL": f"{gateway}/webhooks/genesys/{DEMO.tenant_id}",
        "WAGEN_SANDBOX_GENESYS_WEBHOOK_SECRET": DEMO.genesys_webhook_secret,
    }


async def _bootstrap(settings: WagenSettings) -> None:
    from pipeline.runtime.resources import open_resources, tenancy_services
    from tenancy.audit import Actor
    from tenancy.errors import ConflictError
    from tenancy.models import CredentialsWrite, TenantCreate

    actor = Actor(label="cli:sandbox", request_id=None)
    async with open_resources(settings) as resources:
        tenancy = tenancy_services(settings, resources)
        # Already there from an earlier run: keep it.
        with contextlib.suppress(ConflictError):
            await tenancy.tenants.create(
                TenantCreate(tenant_id=DEMO.tenant_id, name="Sandbox demo", plan=None), actor
            )
        credentials = {
            "meta": {
                "appSecret": DEMO.meta_app_secret,
                "verifyToken": DEMO.meta_verify_token,
                "accessToken": DEMO.meta_access_token,
                "phoneNumberId": DEMO.phone_number_id,
            },
            "genesys": {
                "clientId": DEMO.genesys_client_id,
                "clientSecret": DEMO.genesys_client_secret,
                "region": "mypurecloud.com",
                "integrationId": DEMO.genesys_integration_id,
                "outboundWebhookSecret": DEMO.genesys_webhook_secret,
            },
        }
        # Vault in the dev stack is in memory: write the credentials on every start.
        kinds: tuple[Literal["meta", "genesys"], ...] = ("meta", "genesys")
        for kind in kinds:
            await tenancy.credentials.put(
                DEMO.tenant_id,
                CredentialsWrite(type=kind, credentials=credentials[kind]),
                actor,
            )


def bootstrap_demo_tenant(settings: WagenSettings) -> None:
    """Create the demo tenant (if missing) and store its sandbox credentials."""
    import asyncio

    asyncio.run(_bootstrap(settings))


def instructions(settings: WagenSettings) -> str:
    """What to type to watch a conversation cross the bridge."""
    return f"""
wagen is running in sandbox mode: tenant "{DEMO.tenant_id}", Meta simulator {meta_url(settings)},
Genesys simulator {genesys_url(settings)}, gateway {gateway_url(settings)}.

In another terminal (.venv/bin/wagen ...):
  customer -> agent:  wagen sandbox send-customer-message --text "Hello, my order is late"
  agent -> customer:  wagen sandbox send-agent-reply --text "Sorry! Checking it now."
  what arrived where: wagen sandbox inspect
Ctrl-C stops everything.
"""
