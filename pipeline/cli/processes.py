"""Commands that run wagen's processes, and the settings reference."""

from __future__ import annotations

import sys

import click

from pipeline.settings import WagenSettings
from pipeline.settings_doc import settings_table


@click.command()
@click.pass_obj
def gateway(settings: WagenSettings) -> None:
    """Serve webhooks, tenant APIs, /healthz and /readyz."""
    from pipeline.gateway.app import run_gateway

    run_gateway(settings)


@click.command()
@click.pass_obj
def worker(settings: WagenSettings) -> None:
    """Run the Faust worker (joins the consumer group named by WAGEN_WORKER_APP_ID)."""
    from pipeline.worker.app import run_worker

    run_worker(settings)


@click.command()
def run() -> None:
    """Run gateway and worker together in the foreground; Ctrl-C stops both."""
    from pipeline.supervisor import run_all

    sys.exit(run_all())


@click.command("settings")
def settings_cmd() -> None:
    """Print every WAGEN_* setting with its default, as a Markdown table."""
    click.echo(settings_table())
