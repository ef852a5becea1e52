"""``wagen sandbox send-customer-message|send-agent-reply|inspect``: drive the sandbox demo.

They talk to the simulators' ``/_sandbox`` control endpoints, which emit the same signed
webhooks Meta and Genesys would; what then happens is wagen's real pipeline.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from pipeline.cli.context import pass_settings
from pipeline.runtime.sandbox_mode import DEMO, genesys_url, meta_url

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
    import asyncio

    import aiohttp

    try:
        return asyncio.run(_call(method, url, body))
    except aiohttp.ClientError as exc:
        click.echo(
            f"error: cannot reach {url} ({exc}); is `make run` (sandbox mode) running?", err=True
        )
        sys.exit(1)


@click.command("send-customer-message")
@click.option("--text", required=True, help="What the customer writes.")
@click.option("--from", "from_", default=DEMO.customer_wa_id, show_default=True, help="wa_id.")
@click.option("--name", default="Ana Souza", show_default=True, help="Profile name.")
@pass_settings
def send_customer_message(settings: WagenSettings, text: str, from_: str, name: str) -> None:
    """A WhatsApp customer writes to the demo tenant's number (a signed Meta webhook)."""
    body = {"phone_number_id": DEMO.phone_number_id, "from": from_, "name": name, "text": text}
    result = _run("POST", f"{meta_url(settings)}/_sandbox/webhooks/message", body)
    click.echo(json.dumps(result))


@click.command("send-agent-reply")
@click.option("--text", required=True, help="What the agent answers.")
@click.option("--to", default=f"+{DEMO.customer_wa_id}", show_default=True, help="Customer id.")
@pass_settings
def send_agent_reply(settings: WagenSettings, text: str, to: str) -> None:
    """A Genesys agent answers (a signed Genesys outbound webhook)."""
    body = {"integration_id": DEMO.genesys_integration_id, "to": to, "text": text}
    result = _run("POST", f"{genesys_url(settings)}/_sandbox/webhooks/outbound", body)
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
