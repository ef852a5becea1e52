"""``wagen tenants``: the admin API's operations from a shell, over the same service layer.

Exit codes: 0 done, 1 the operation failed (not found, store down), 2 bad usage or input.
Credentials are read from a JSON file or stdin, never from arguments (shell history).
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pipeline.cli.common import emit_json
from pipeline.cli.context import pass_settings

if TYPE_CHECKING:
    from pipeline.settings import WagenSettings
    from tenancy.audit import Actor
    from tenancy.models import ApiModel
    from tenancy.services import Tenancy

T = TypeVar("T")


def _actor() -> Actor:
    from tenancy.audit import Actor

    return Actor(label=f"cli:{getpass.getuser()}")


def _run(settings: WagenSettings, work: Callable[[Tenancy], Awaitable[T]]) -> T:
    import asyncio

    import asyncpg
    import redis.exceptions

    from pipeline.runtime.resources import open_resources, tenancy_services
    from schemas.errors import WagenError
    from tenancy.errors import InvalidRequestError

    async def main() -> T:
        async with open_resources(settings) as resources:
            return await work(tenancy_services(settings, resources))

    try:
        return asyncio.run(main())
    except InvalidRequestError as exc:
        detail = f" {json.dumps(exc.errors, default=str)}" if exc.errors else ""
        raise click.UsageError(f"{exc.message}{detail}") from None
    except (WagenError, OSError, asyncpg.PostgresError, redis.exceptions.RedisError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def _emit(value: ApiModel | list[ApiModel] | dict[str, Any], as_json: bool) -> None:
    from tenancy.models import ApiModel

    if isinstance(value, list):
        data: Any = [v.as_json() for v in value]
    else:
        data = value.as_json() if isinstance(value, ApiModel) else value
    if as_json:
        # One JSON object per line, a listing's rows included: the other commands' shape.
        for item in data if isinstance(data, list) else [data]:
            emit_json(item)
        return
    for item in data if isinstance(data, list) else [data]:
        click.echo("  ".join(f"{k}={v}" for k, v in item.items() if v is not None))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def tenants() -> None:
    """Tenants, their API keys and credentials."""


@tenants.command("create")
@click.argument("tenant_id")
@click.option("--name", required=True)
@click.option("--subdomain")
@click.option("--plan")
@json_option
@pass_settings
def create(
    settings: WagenSettings,
    tenant_id: str,
    name: str,
    subdomain: str | None,
    plan: str | None,
    as_json: bool,
) -> None:
    """Create a tenant; its first API key is printed once."""
    from tenancy.models import TenantCreate

    try:
        body = TenantCreate(tenant_id=tenant_id, name=name, subdomain=subdomain, plan=plan)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    created = _run(settings, lambda t: t.tenants.create(body, _actor()))
    if as_json:
        _emit(created.reply(), as_json)
        return
    click.echo(f"created tenant {created.tenant.tenant_id} (plan {created.tenant.plan})")
    click.echo(f"api key (shown once): {created.api_key.key}")


@tenants.command("list")
@click.option("--limit", default=200, type=click.IntRange(1, 200))
@json_option
@pass_settings
def list_cmd(settings: WagenSettings, limit: int, as_json: bool) -> None:
    """Every tenant with status, plan and this month's usage."""
    page = _run(settings, lambda t: t.tenants.page(limit=limit, cursor=None))
    _emit(list(page.items), as_json)


@tenants.command("show")
@click.argument("tenant_id")
@json_option
@pass_settings
def show(settings: WagenSettings, tenant_id: str, as_json: bool) -> None:
    """One tenant."""
    _emit(_run(settings, lambda t: t.tenants.get(tenant_id)), as_json)


@tenants.command("suspend")
@click.argument("tenant_id")
@click.option("--lift", is_flag=True, help="Make the tenant active again.")
@pass_settings
def suspend(settings: WagenSettings, tenant_id: str, lift: bool) -> None:
    """Suspend a tenant (its calls get 403), or lift the suspension."""
    from tenancy.models import TenantPatch

    patch = TenantPatch(status="active" if lift else "suspended")
    tenant = _run(settings, lambda t: t.tenants.update(tenant_id, patch, _actor()))
    click.echo(f"{tenant.tenant_id}: {tenant.status}")


@tenants.command("callbacks")
@click.argument("tenant_id")
@click.option("--queue", "queue_id", help="Genesys queue id the callbacks go to.")
@click.option("--off", is_flag=True, help="No callbacks (agents are still told of calls).")
@pass_settings
def callbacks(settings: WagenSettings, tenant_id: str, queue_id: str | None, off: bool) -> None:
    """Create a Genesys callback when a customer tries to call on WhatsApp, or stop."""
    from tenancy.models import TenantPatch

    if off == (queue_id is not None):
        raise click.UsageError("give either --queue QUEUE_ID or --off")
    try:
        patch = TenantPatch(callback_queue_id=queue_id)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    tenant = _run(settings, lambda t: t.tenants.update(tenant_id, patch, _actor()))
    where = f"queue {tenant.callback_queue_id}" if tenant.callback_queue_id else "off"
    click.echo(f"{tenant.tenant_id}: callbacks {where}")


@tenants.command("usage")
@click.argument("tenant_id")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default today).")
@json_option
@pass_settings
def usage_cmd(settings: WagenSettings, tenant_id: str, start: Any, end: Any, as_json: bool) -> None:
    """Counters over the days (default: this month), and what Meta charged per category."""
    from tenancy import usage

    first: date | None = start.date() if start else None
    last: date | None = end.date() if end else None

    async def work(t: Tenancy) -> Any:
        await t.tenants.get(tenant_id)
        return await usage.report(t.state.pool, tenant_id, first, last)

    report = _run(settings, work)
    if as_json:
        _emit(report, as_json)
        return
    click.echo(f"{report.tenant_id} {report.from_}..{report.to}")
    for metric, value in sorted(report.totals.items()):
        if not metric.startswith((usage.PRICED, usage.BILLABLE)):
            click.echo(f"  {metric}={value}")
    for category, cost in report.pricing.items():
        click.echo(f"  pricing {category}: messages={cost.messages} billable={cost.billable}")


@tenants.command("migrate-default")
@pass_settings
def migrate_default_cmd(settings: WagenSettings) -> None:
    """Create the `default` tenant if missing and move legacy single-tenant rows under it."""
    from tenancy.migrate_default import migrate_default

    async def work(t: Tenancy) -> Any:
        return await migrate_default(t.state.pool, t.tenants, _actor())

    result = _run(settings, work)
    click.echo("created tenant default" if result.created else "tenant default exists")
    if result.api_key is not None:
        click.echo(f"api key (shown once): {result.api_key.key}")
    for table, moved in result.moved.items():
        click.echo(f"{table}: {moved} rows moved")


@tenants.command("purge")
@click.option("--older-than-days", default=30, type=click.IntRange(0, 3650), show_default=True)
@pass_settings
def purge(settings: WagenSettings, older_than_days: int) -> None:
    """Purge tenants soft-deleted that long ago: Vault credentials, then rows (audit stays)."""
    done = _run(settings, lambda t: t.purge_deleted(timedelta(days=older_than_days), _actor()))
    click.echo(f"purged {len(done)} tenant(s){': ' + ', '.join(done) if done else ''}")


@tenants.group("keys")
def keys() -> None:
    """API keys of a tenant."""


@keys.command("list")
@click.argument("tenant_id")
@json_option
@pass_settings
def keys_list(settings: WagenSettings, tenant_id: str, as_json: bool) -> None:
    """Prefix, name, created, last used, revoked."""

    async def work(t: Tenancy) -> Any:
        await t.tenants.get(tenant_id)
        return await t.keys.list_keys(tenant_id)

    _emit(list(_run(settings, work)), as_json)


@keys.command("create")
@click.argument("tenant_id")
@click.option("--name", required=True)
@json_option
@pass_settings
def keys_create(settings: WagenSettings, tenant_id: str, name: str, as_json: bool) -> None:
    """A new key, printed once."""
    _emit(_run(settings, lambda t: t.keys.create(tenant_id, name, _actor())), as_json)


@keys.command("revoke")
@click.argument("tenant_id")
@click.argument("key_id")
@pass_settings
def keys_revoke(settings: WagenSettings, tenant_id: str, key_id: str) -> None:
    """Revoke a key by its id; it is refused from now on."""
    info = _run(settings, lambda t: t.keys.revoke(tenant_id, key_id.lower(), _actor()))
    click.echo(f"revoked {info.prefix}")


@tenants.group("credentials")
def credentials() -> None:
    """Meta and Genesys credentials of a tenant (in Vault)."""


@credentials.command("list")
@click.argument("tenant_id")
@json_option
@pass_settings
def credentials_list(settings: WagenSettings, tenant_id: str, as_json: bool) -> None:
    """Type, version, update time and fingerprint; never the secret."""

    async def work(t: Tenancy) -> Any:
        await t.tenants.get(tenant_id)
        return await t.credentials.describe(tenant_id)

    _emit(list(_run(settings, work)), as_json)


def _add_connect_commands() -> None:
    # Onboarding's commands live in their own module; they are part of these groups.
    from pipeline.cli.tenants_connect import (
        credentials_remove,
        credentials_rotate,
        credentials_set,
        delete,
        doctor,
    )

    for command in (doctor, delete):
        tenants.add_command(command)
    for command in (credentials_set, credentials_rotate, credentials_remove):
        credentials.add_command(command)


_add_connect_commands()
