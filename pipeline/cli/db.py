"""``wagen db``: the database schema."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from pipeline.cli.context import pass_settings

if TYPE_CHECKING:
    from pipeline.settings import WagenSettings


@click.group()
def db() -> None:
    """Database schema."""


async def _with_connection(settings: WagenSettings, migrate_now: bool) -> list[str]:
    import asyncpg

    from tenancy.db.migrate import applied_migrations, load_migrations, migrate

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
    import asyncio

    import asyncpg

    from schemas.errors import WagenError

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
@pass_settings
def db_migrate(settings: WagenSettings) -> None:
    """Apply pending migrations (each once; safe to run from several processes)."""
    applied = _run_db(settings, migrate_now=True)
    for name in applied:
        click.echo(f"applied {name}")
    click.echo(f"database is up to date ({len(applied)} applied now)")


@db.command("status")
@pass_settings
def db_status(settings: WagenSettings) -> None:
    """List migrations and whether each is applied."""
    for line in _run_db(settings, migrate_now=False):
        click.echo(line)
