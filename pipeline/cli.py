"""The ``wagen`` command line.

Exit codes: 0 success, 1 the operation failed, 2 bad usage (click's own convention).
"""

from __future__ import annotations

import asyncio
import sys

import asyncpg
import click
from pydantic import ValidationError

from pipeline.logging import configure_logging
from pipeline.settings import WagenSettings
from pipeline.settings_doc import settings_table
from schemas.errors import WagenError
from tenancy.db.migrate import applied_migrations, load_migrations, migrate


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


@cli.command()
@click.pass_obj
def gateway(settings: WagenSettings) -> None:
    """Serve webhooks, tenant APIs, /healthz and /readyz."""
    from pipeline.gateway.app import run_gateway

    run_gateway(settings)


@cli.command()
@click.pass_obj
def worker(settings: WagenSettings) -> None:
    """Run the Faust worker (joins the consumer group named by WAGEN_WORKER_APP_ID)."""
    from pipeline.worker.app import run_worker

    run_worker(settings)


@cli.command()
def run() -> None:
    """Run gateway and worker together in the foreground; Ctrl-C stops both."""
    from pipeline.supervisor import run_all

    sys.exit(run_all())


@cli.group()
def db() -> None:
    """Database schema."""


async def _with_connection(settings: WagenSettings, migrate_now: bool) -> list[str]:
    conn = await asyncpg.connect(settings.postgres.dsn.get_secret_value())
    try:
        if migrate_now:
            return [f"{m.version:04d}_{m.name}" for m in await migrate(conn)]
        applied = await applied_migrations(conn)
        return [
            f"{m.version:04d}_{m.name}  {'applied' if m.version in applied else 'pending'}"
            for m in load_migrations()
        ]
    finally:
        await conn.close()


def _run_db(settings: WagenSettings, migrate_now: bool) -> list[str]:
    try:
        return asyncio.run(_with_connection(settings, migrate_now))
    except (OSError, asyncpg.PostgresError, WagenError) as exc:
        click.echo(
            f"error: {exc} (database {settings.postgres.dsn_for_logs}; "
            "is the stack up? deploy/local/stack up)",
            err=True,
        )
        sys.exit(1)


@db.command("migrate")
@click.pass_obj
def db_migrate(settings: WagenSettings) -> None:
    """Apply pending migrations (each once; safe to run from several processes)."""
    applied = _run_db(settings, migrate_now=True)
    for name in applied:
        click.echo(f"applied {name}")
    click.echo(f"database is up to date ({len(applied)} applied now)")


@db.command("status")
@click.pass_obj
def db_status(settings: WagenSettings) -> None:
    """List migrations and whether each is applied."""
    for line in _run_db(settings, migrate_now=False):
        click.echo(line)


@cli.command("settings")
def settings_cmd() -> None:
    """Print every WAGEN_* setting with its default, as a Markdown table."""
    click.echo(settings_table())


def main() -> None:
    """Console-script entry point."""
    cli()
