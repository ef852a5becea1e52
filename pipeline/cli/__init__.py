"""The ``wagen`` command line: one click group, with each command family in its own module.

Exit codes: 0 success, 1 the operation failed, 2 bad usage (click's own convention).
"""

from __future__ import annotations

import os

import click
from pydantic import ValidationError

from pipeline.cli.db import db
from pipeline.cli.dlq import dlq
from pipeline.cli.dryrun import parse, translate
from pipeline.cli.held import held
from pipeline.cli.lag import lag
from pipeline.cli.media import media
from pipeline.cli.processes import gateway, run, settings_cmd, worker
from pipeline.cli.replay import replay
from pipeline.cli.sandbox import sandbox
from pipeline.cli.sandbox_demo import (
    inspect,
    send_agent_reply,
    send_business_echo,
    send_customer_call,
    send_customer_message,
    send_preference,
)
from pipeline.cli.tail import tail
from pipeline.cli.tenants import credentials, tenants
from pipeline.cli.tenants_connect import (
    credentials_remove,
    credentials_rotate,
    credentials_set,
    delete,
    doctor,
)
from pipeline.cli.topics import topics
from pipeline.runtime.sandbox_mode import with_sandbox
from pipeline.settings import WagenSettings
from pipeline.telemetry.logging import configure_logging

# Long-running processes log at the configured level; one-shot commands only warnings.
_PROCESSES = frozenset({"gateway", "worker", "run", "sandbox"})


def _load_settings() -> WagenSettings:
    try:
        # Sandbox mode re-points the connectors at the simulators, for every process alike.
        return with_sandbox(WagenSettings())
    except ValidationError as exc:
        raise click.UsageError(f"invalid WAGEN_* settings:\n{exc}") from exc


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """wagen: the multi-tenant WhatsApp <-> Genesys Cloud bridge."""
    ctx.obj = _load_settings()
    log_settings = ctx.obj.log
    if ctx.invoked_subcommand not in _PROCESSES and "WAGEN_LOG_LEVEL" not in os.environ:
        # One-shot commands print their results; library chatter would drown them.
        log_settings = log_settings.model_copy(update={"level": "WARNING"})
    configure_logging(log_settings)


for command in (gateway, worker, run, settings_cmd, db, topics, tenants):
    cli.add_command(command)
cli.add_command(parse)
cli.add_command(translate)
cli.add_command(sandbox)
cli.add_command(dlq)
cli.add_command(held)
cli.add_command(media)
for operator_command in (lag, tail, replay):
    cli.add_command(operator_command)
for demo_command in (
    send_customer_message,
    send_agent_reply,
    inspect,
    send_customer_call,
    send_business_echo,
    send_preference,
):
    sandbox.add_command(demo_command)
for tenant_command in (doctor, delete):
    tenants.add_command(tenant_command)
for credentials_command in (credentials_set, credentials_rotate, credentials_remove):
    credentials.add_command(credentials_command)


def main() -> None:
    """Console-script entry point."""
    cli()
