"""``wagen sandbox meta|genesys``: run a vendor simulator in the foreground.

Each can start with one tenant's worth of configuration from options (or ``WAGEN_SANDBOX_*``
variables, which keep tokens off the process list); anything else is set at runtime through
the simulator's ``/_sandbox`` control endpoints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pipeline.cli.context import pass_settings

if TYPE_CHECKING:
    from pipeline.settings import WagenSettings


@click.group()
def sandbox() -> None:
    """Local simulators of Meta's Graph API and Genesys Cloud (tests, demos)."""


@sandbox.command("meta")
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address.")
@click.option("--port", default=8090, show_default=True, type=click.IntRange(1, 65535))
@click.option("--phone-number-id", envvar="WAGEN_SANDBOX_META_PHONE_NUMBER_ID", help="A number.")
@click.option("--access-token", envvar="WAGEN_SANDBOX_META_ACCESS_TOKEN", help="Its token.")
@click.option("--app-secret", envvar="WAGEN_SANDBOX_META_APP_SECRET", help="Signs webhooks.")
@click.option("--webhook-url", envvar="WAGEN_SANDBOX_META_WEBHOOK_URL", help="Gets webhooks.")
@pass_settings
def meta_cmd(
    _settings: WagenSettings,
    host: str,
    port: int,
    phone_number_id: str | None,
    access_token: str | None,
    app_secret: str | None,
    webhook_url: str | None,
) -> None:
    """Serve the Meta Graph API simulator (default http://127.0.0.1:8090)."""
    from pydantic import ValidationError

    from connectors.sandbox.common import run_simulator
    from connectors.sandbox.meta import create_meta_app
    from connectors.sandbox.meta_state import NumberConfig
    from schemas.parsing import describe_validation_error

    numbers: tuple[NumberConfig, ...] = ()
    if phone_number_id or access_token:
        if not (phone_number_id and access_token):
            raise click.UsageError("--phone-number-id and --access-token go together")
        try:
            number = NumberConfig(
                phone_number_id=phone_number_id,
                access_token=access_token,
                app_secret=app_secret,
                webhook_url=webhook_url,
            )
        except ValidationError as exc:
            raise click.UsageError(describe_validation_error(exc)) from None
        numbers = (number,)
    run_simulator(create_meta_app(numbers=numbers), host, port, "meta")


@sandbox.command("genesys")
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address.")
@click.option("--port", default=8091, show_default=True, type=click.IntRange(1, 65535))
@click.option("--client-id", envvar="WAGEN_SANDBOX_GENESYS_CLIENT_ID", help="An OAuth client.")
@click.option("--client-secret", envvar="WAGEN_SANDBOX_GENESYS_CLIENT_SECRET", help="Its secret.")
@click.option(
    "--token-ttl",
    default=86_400,
    show_default=True,
    type=click.IntRange(1, 172_800),
    help="Lifetime of issued tokens, seconds.",
)
@click.option("--integration-id", envvar="WAGEN_SANDBOX_GENESYS_INTEGRATION_ID", help="An id.")
@click.option("--webhook-url", envvar="WAGEN_SANDBOX_GENESYS_WEBHOOK_URL", help="Gets webhooks.")
@click.option(
    "--webhook-secret", envvar="WAGEN_SANDBOX_GENESYS_WEBHOOK_SECRET", help="Signs webhooks."
)
@pass_settings
def genesys_cmd(
    _settings: WagenSettings,
    host: str,
    port: int,
    client_id: str | None,
    client_secret: str | None,
    token_ttl: int,
    integration_id: str | None,
    webhook_url: str | None,
    webhook_secret: str | None,
) -> None:
    """Serve the Genesys Cloud simulator: login and API hosts (default http://127.0.0.1:8091)."""
    from pydantic import ValidationError

    from connectors.sandbox.common import run_simulator
    from connectors.sandbox.genesys import create_genesys_app
    from connectors.sandbox.genesys_state import ClientConfig, IntegrationConfig
    from schemas.parsing import describe_validation_error

    clients: tuple[ClientConfig, ...] = ()
    integrations: tuple[IntegrationConfig, ...] = ()
    if (client_id or client_secret) and not (client_id and client_secret):
        raise click.UsageError("--client-id and --client-secret go together")
    try:
        if client_id and client_secret:
            clients = (
                ClientConfig(
                    client_id=client_id, client_secret=client_secret, expires_in=token_ttl
                ),
            )
        if integration_id:
            integrations = (
                IntegrationConfig(
                    integration_id=integration_id,
                    webhook_url=webhook_url,
                    webhook_secret=webhook_secret,
                ),
            )
    except ValidationError as exc:
        raise click.UsageError(describe_validation_error(exc)) from None
    app = create_genesys_app(clients=clients, integrations=integrations)
    run_simulator(app, host, port, "genesys")


def _add_demo_commands() -> None:
    # The demo drivers live in their own module; they are part of this group.
    from pipeline.cli.sandbox_demo import (
        inspect,
        send_agent_reply,
        send_business_echo,
        send_customer_call,
        send_customer_message,
        send_preference,
    )

    for command in (
        send_customer_message,
        send_agent_reply,
        inspect,
        send_customer_call,
        send_business_echo,
        send_preference,
    ):
        sandbox.add_command(command)


_add_demo_commands()
