"""The ``wagen`` command line: one click group, with each command family in its own module.

Exit codes: 0 success, 1 the operation failed, 2 bad usage (click's own convention).
"""

from __future__ import annotations

import click
from pydantic import ValidationError

from pipeline.cli.db import db
from pipeline.cli.dryrun import parse, translate
from pipeline.cli.processes import gateway, run, settings_cmd, worker
from pipeline.cli.sandbox import sandbox
from pipeline.cli.tenants import tenants
from pipeline.cli.topics import topics
from pipeline.logging import configure_logging
from pipeline.settings import WagenSettings


def _load_settings() -> WagenSettings:
    try:
        return WagenSettings()
    except ValidationError as exc:
        raise click.UsageError(f"invalid WAGEN_* settings:\n{exc}") from exc


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """wagen: the multi-tenant WhatsApp <-> Genesys Cloud bridge."""
    ctx.obj = _load_settings()
    configure_logging(ctx.obj.log)


for command in (gateway, worker, run, settings_cmd, db, topics, tenants):
    cli.add_command(command)
cli.add_command(parse)
cli.add_command(translate)
cli.add_command(sandbox)


def main() -> None:
    """Console-script entry point."""
    cli()
