"""Commands that run wagen's processes, and the settings reference."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from pipeline.cli.context import pass_settings

if TYPE_CHECKING:
    from pipeline.settings import WagenSettings


def refuse_unfit_for_production(settings: WagenSettings) -> None:
    """Exit with one line per offending setting unless ``settings`` may serve traffic."""
    from pipeline.runtime.production import production_problems

    problems = production_problems(settings)
    if not problems:
        return
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(
        "error: refusing to start with WAGEN_ENVIRONMENT=production; on a development machine "
        "set WAGEN_ENVIRONMENT=development",
        err=True,
    )
    sys.exit(2)


@click.command()
@pass_settings
def gateway(settings: WagenSettings) -> None:
    """Serve webhooks, tenant APIs, /healthz and /readyz."""
    from pipeline.gateway.app import run_gateway
    from pipeline.runtime.event_loop import install as install_event_loop

    refuse_unfit_for_production(settings)
    install_event_loop(settings.event_loop)
    run_gateway(settings)


@click.command()
@pass_settings
def worker(settings: WagenSettings) -> None:
    """Run the Faust worker (joins the consumer group named by WAGEN_WORKER_APP_ID)."""
    from pipeline.runtime.event_loop import install as install_event_loop
    from pipeline.worker.app import run_worker

    refuse_unfit_for_production(settings)
    install_event_loop(settings.event_loop)
    run_worker(settings)


@click.command()
@pass_settings
def run(settings: WagenSettings) -> None:
    """Run gateway and worker together in the foreground; Ctrl-C stops both.

    With WAGEN_SANDBOX=1 the Meta and Genesys simulators run too, and a demo tenant is set up.
    """
    from pipeline.console.demo import console_lines, issue_demo_key
    from pipeline.runtime.supervisor import run_all

    refuse_unfit_for_production(settings)
    if not settings.sandbox:
        click.echo(console_lines(settings))
        sys.exit(run_all())
    from pipeline.runtime.sandbox_mode import (
        DEMO,
        bootstrap_demo_tenant,
        instructions,
        simulator_env,
    )
    from pipeline.runtime.supervisor import start, stop, supervise

    commands = (
        ("sandbox", "meta", "--host", settings.simulators.host,
         "--port", str(settings.simulators.meta_port)),
        ("sandbox", "genesys", "--host", settings.simulators.host,
         "--port", str(settings.simulators.genesys_port)),
        ("gateway",),
        ("worker",),
    )  # fmt: skip
    children = start(commands, simulator_env(settings))
    try:
        # Onboarding needs the simulators, and Meta's callback check needs the gateway.
        bootstrap_demo_tenant(settings)
    except BaseException as exc:
        stop(children)
        if isinstance(exc, Exception):
            click.echo(f"error: the demo tenant could not be onboarded: {exc}", err=True)
            sys.exit(1)
        raise
    click.echo(instructions(settings))
    demo_key = issue_demo_key(settings, DEMO.tenant_id)
    click.echo(console_lines(settings, (DEMO.tenant_id, demo_key)))
    sys.exit(supervise(children))


@click.command("settings")
def settings_cmd() -> None:
    """Print every WAGEN_* setting with its default, as a Markdown table."""
    from pipeline.cli.settings_doc import settings_table

    click.echo(settings_table())
