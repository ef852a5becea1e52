"""``wagen sandbox send-customer-message|send-agent-reply|inspect`` (and ``send-customer-call``,
``send-business-echo``, ``send-preference``): drive the sandbox demo.

They talk to the simulators' ``/_sandbox`` control endpoints, which emit the same signed
webhooks Meta and Genesys would; what then happens is wagen's real pipeline.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

import click

from pipeline.cli.context import pass_settings
from pipeline.runtime.sandbox_mode import DEMO, demo_integration_id, genesys_url, meta_url

if TYPE_CHECKING:
    from pipeline.settings import WagenSettings


async def _call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=15)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.request(method, url, json=body) as response,
    ):
        payload = await response.json(content_type=None)
        if response.status >= 400:
            raise click.ClickException(f"{url} answered {response.status}: {payload}")
        return payload


def _run(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    import aiohttp

    try:
        return asyncio.run(_call(method, url, body))
    except aiohttp.ClientError as exc:
        click.echo(
            f"error: cannot reach {url} ({exc}); is `make run` (sandbox mode) running?", err=True
        )
        sys.exit(1)


def _demo_integration(settings: WagenSettings) -> str:
    """The id of the integration onboarding made for the demo tenant."""
    import aiohttp

    async def look_up() -> str:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
            return await demo_integration_id(settings, session)

    try:
        return asyncio.run(look_up())
    except (aiohttp.ClientError, LookupError) as exc:
        click.echo(f"error: {exc}; is `make run` (sandbox mode) running?", err=True)
        sys.exit(1)


@click.command("send-customer-message")
@click.option("--text", required=True, help="What the customer writes.")
@click.option("--from", "from_", default=DEMO.customer_wa_id, show_default=True, help="wa_id.")
@click.option("--user-id", help="The customer's business-scoped user id (BSUID), e.g. US.1349.")
@click.option("--no-number", is_flag=True, help="Hide the number: the webhook has the BSUID only.")
@click.option("--name", default="Ana Souza", show_default=True, help="Profile name.")
@pass_settings
def send_customer_message(
    settings: WagenSettings,
    text: str,
    from_: str,
    user_id: str | None,
    no_number: bool,
    name: str,
) -> None:
    """A WhatsApp customer writes to the demo tenant's number (a signed Meta webhook)."""
    if no_number and not user_id:
        raise click.UsageError("--no-number needs --user-id: the webhook must name someone")
    body: dict[str, str] = {"phone_number_id": DEMO.phone_number_id, "name": name, "text": text}
    if not no_number:
        body["from"] = from_
    if user_id:
        body["user_id"] = user_id
    result = _run("POST", f"{meta_url(settings)}/_sandbox/webhooks/message", body)
    click.echo(json.dumps(result))


@click.command("send-agent-reply")
@click.option("--text", required=True, help="What the agent answers.")
@click.option("--to", default=f"+{DEMO.customer_wa_id}", show_default=True, help="Customer id.")
@pass_settings
def send_agent_reply(settings: WagenSettings, text: str, to: str) -> None:
    """A Genesys agent answers (a signed Genesys outbound webhook), on the integration
    onboarding created for the demo tenant."""
    integration_id = _demo_integration(settings)
    body = {"integration_id": integration_id, "to": to, "text": text}
    result = _run("POST", f"{genesys_url(settings)}/_sandbox/webhooks/outbound", body)
    click.echo(json.dumps(result))


@click.command("send-customer-call")
@click.option("--from", "from_", default=DEMO.customer_wa_id, show_default=True, help="wa_id.")
@click.option("--name", default="Ana Souza", show_default=True, help="Profile name.")
@pass_settings
def send_customer_call(settings: WagenSettings, from_: str, name: str) -> None:
    """The customer rings the demo number on WhatsApp (a signed ``calls`` webhook)."""
    body = {"phone_number_id": DEMO.phone_number_id, "from": from_, "name": name}
    result = _run("POST", f"{meta_url(settings)}/_sandbox/webhooks/call", body)
    click.echo(json.dumps(result))


@click.command("send-business-echo")
@click.option(
    "--text", required=True, help="What the business writes in the WhatsApp Business app."
)
@click.option("--to", default=DEMO.customer_wa_id, show_default=True, help="The customer's wa_id.")
@pass_settings
def send_business_echo(settings: WagenSettings, text: str, to: str) -> None:
    """The business writes from the WhatsApp Business app (an ``smb_message_echoes`` webhook)."""
    body = {"phone_number_id": DEMO.phone_number_id, "to": to, "text": text}
    result = _run("POST", f"{meta_url(settings)}/_sandbox/webhooks/echo", body)
    click.echo(json.dumps(result))


@click.command("send-preference")
@click.option("--value", type=click.Choice(["stop", "resume"]), default="stop", show_default=True)
@click.option("--wa-id", default=DEMO.customer_wa_id, show_default=True, help="The customer.")
@pass_settings
def send_preference(settings: WagenSettings, value: str, wa_id: str) -> None:
    """The customer stops or resumes marketing messages (a ``user_preferences`` webhook)."""
    body = {"phone_number_id": DEMO.phone_number_id, "wa_id": wa_id, "value": value}
    result = _run("POST", f"{meta_url(settings)}/_sandbox/webhooks/preference", body)
    click.echo(json.dumps(result))


@click.command("inspect")
@pass_settings
def inspect(settings: WagenSettings) -> None:
    """What reached Genesys (inbound messages, receipts) and Meta (sends), as JSON lines."""
    received = _run("GET", f"{genesys_url(settings)}/_sandbox/received")["received"]
    sent = _run("GET", f"{meta_url(settings)}/_sandbox/sent")["sent"]
    for item in received:
        click.echo(json.dumps({"at": "genesys", **item}))
    for item in sent:
        click.echo(json.dumps({"at": "meta", **item}))
