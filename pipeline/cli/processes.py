"""Commands that run wagen's processes, and the settings reference."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from pipeline.cli.context import pass_settings

if TYPE_CHECKING:
    from pipeline.settings import WagenSettings


@click.command()
@pass_settings
def gateway(settings: WagenSettings) -> None:
    """Serve webhooks, tenant APIs, /healthz and /readyz."""
    from pipeline.gateway.app import run_gateway
    from pipeline.runtime.event_loop import install as install_event_loop

    install_event_loop(settings.event_loop)
    run_gateway(settings)


@click.command()
@pass_settings
def worker(settings: WagenSettings) -> None:
    """Run the Faust worker (joins the consumer group named by WAGEN_WORKER_APP_ID)."""
    from pipeline.runtime.event_loop import install as install_event_loop
    from pipeline.worker.app import run_worker

    install_event_loop(settings.event_loop)
    run_worker(settings)


@click.command()
@pass_settings
def run(settings: WagenSettings) -> None:
    """Run gateway and worker together in the foreground; Ctrl-C stops both.

    With WAGEN_SANDBOX=1 the Meta and Genesys simulators run too, and a demo tenant is set up.
    """
    from pipeline.runtime.supervisor import run_all

    if not settings.sandbox:
        sys.exit(run_all())
    from pipeline.runtime.sandbox_mode import bootstrap_demo_tenant, instructions, simulator_env

    bootstrap_demo_tenant(settings)
    click.echo(instructions(settings))
    commands = (
        ("sandbox", "meta", "--host", settings.simulators.host,
         "--port", str(settings.simulators.meta_port)),
        ("sandbox", "genesys", "--host", settings.simulators.host,
         "--port", str(settings.simulators.genesys_port)),
        ("gateway",),
        ("worker",),
    )  # fmt: skip
    sys.exit(run_all(commands, simulator_env(settings)))


@click.command("settings")
def settings_cmd() -> None:
    """Print every WAGEN_* setting with its default, as a Markdown table."""
    from pipeline.cli.settings_doc import settings_table

    click.echo(settings_table())
