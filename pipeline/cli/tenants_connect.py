"""``wagen tenants doctor|delete`` and ``wagen tenants credentials set|rotate|remove``: the
onboarding service from a shell (credentials checked live, vendors provisioned).

Exit codes: 0 done (the doctor: every check passed), 1 the operation failed or a check
failed, 2 bad usage or input. Credentials come from a JSON file or stdin, never arguments.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pipeline.cli.common import cli_actor, emit_json
from pipeline.cli.context import pass_settings

if TYPE_CHECKING:
    from pipeline.settings import WagenSettings
    from tenancy.onboarding.service import Onboarding

T = TypeVar("T")


def run_onboarding(settings: WagenSettings, work: Callable[[Onboarding], Awaitable[T]]) -> T:
    """Run ``work`` with the onboarding service; a failure is one ``error:`` line, exit 1."""
    import asyncio

    import asyncpg
    import redis.exceptions

    from pipeline.runtime.onboarding import open_onboarding
    from pipeline.runtime.resources import open_resources, tenancy_services
    from schemas.errors import WagenError
    from tenancy.errors import InvalidRequestError

    async def main() -> T:
        async with open_resources(settings) as resources:
            tenancy = tenancy_services(settings, resources)
            async with open_onboarding(settings, resources, tenancy) as onboarding:
                return await work(onboarding)

    try:
        return asyncio.run(main())
    except InvalidRequestError as exc:
        detail = f" {json.dumps(exc.errors, default=str)}" if exc.errors else ""
        raise click.UsageError(f"{exc.message}{detail}") from None
    except (WagenError, OSError, asyncpg.PostgresError, redis.exceptions.RedisError) as exc:
        code = getattr(exc, "code", type(exc).__name__)
        click.echo(f"error: {code}: {exc}", err=True)
        sys.exit(1)


def _fields(row: dict[str, Any]) -> str:
    return "  ".join(f"{k}={v}" for k, v in row.items() if v is not None and v != {})


@click.command("set")
@click.argument("tenant_id")
@click.argument("kind", type=click.Choice(["meta", "genesys"]))
@click.argument("source", type=click.File("r"), default="-")
@pass_settings
def credentials_set(settings: WagenSettings, tenant_id: str, kind: str, source: Any) -> None:
    """Check credentials from a JSON file (or stdin) live, provision Genesys or Meta, store.

    Genesys takes clientId, clientSecret, region (integrationId and outboundWebhookSecret
    are optional); Meta appSecret, verifyToken, accessToken, phoneNumberId (wabaId optional).
    Prints metadata and what was set up, never a secret.
    """
    from tenancy.models import CredentialsWrite

    try:
        data = json.load(source)
        body = CredentialsWrite.model_validate({"type": kind, "credentials": data})
    except ValueError:
        raise click.UsageError("credentials must be a JSON object") from None
    connected = run_onboarding(settings, lambda o: o.connect(tenant_id, body, cli_actor()))
    row = connected.as_json()
    for part in ("genesys", "meta"):
        if row.get(part) is None:
            row.pop(part, None)
    click.echo(_fields({k: v for k, v in row.items() if k not in ("genesys", "meta")}))
    for part in ("genesys", "meta"):
        if part in row:
            click.echo(f"{part}: {_fields(row[part])}")


@click.command("rotate")
@click.argument("tenant_id")
@click.argument("kind", type=click.Choice(["genesys"]))
@pass_settings
def credentials_rotate(settings: WagenSettings, tenant_id: str, kind: str) -> None:
    """Rotate the Genesys webhook secret: a new one in Vault and on the integration; the
    previous one is accepted until the time printed (WAGEN_ONBOARDING_ROTATION_WINDOW_S)."""
    done = run_onboarding(settings, lambda o: o.rotate_genesys_secret(tenant_id, cli_actor()))
    click.echo(
        f"rotated {kind} webhook secret of {tenant_id}: version {done.credential.version}, "
        f"previous secret accepted until {done.previous_accepted_until.isoformat()}"
    )


@click.command("remove")
@click.argument("tenant_id")
@click.argument("kind", type=click.Choice(["meta", "genesys"]))
@click.option(
    "--keep-vendor", is_flag=True, help="Leave the Genesys integration / Meta subscription."
)
@pass_settings
def credentials_remove(
    settings: WagenSettings, tenant_id: str, kind: str, keep_vendor: bool
) -> None:
    """Remove a tenant's credentials (every Vault version); unless --keep-vendor, first
    delete the Genesys integration / unsubscribe the Meta app wagen set up."""
    disconnect = False if keep_vendor else None
    done = run_onboarding(
        settings,
        lambda o: o.remove(
            tenant_id, "meta" if kind == "meta" else "genesys", cli_actor(), disconnect=disconnect
        ),
    )
    click.echo(f"removed {kind} credentials of {tenant_id}")
    for line in done.vendor:
        click.echo(f"  {line}")


@click.command("delete")
@click.argument("tenant_id")
@click.option(
    "--keep-vendor", is_flag=True, help="Leave the Genesys integration / Meta subscription."
)
@pass_settings
def delete(settings: WagenSettings, tenant_id: str, keep_vendor: bool) -> None:
    """Soft-delete a tenant (purged later); unless --keep-vendor, also delete the Genesys
    integration and unsubscribe the Meta app wagen set up. Safe to run again."""
    disconnect = False if keep_vendor else None
    done = run_onboarding(
        settings, lambda o: o.delete_tenant(tenant_id, cli_actor(), disconnect=disconnect)
    )
    click.echo(f"{done.tenant_id}: {done.status}")
    for line in done.vendor:
        click.echo(f"  {line}")


@click.command("doctor")
@click.argument("tenant_id")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per check.")
@pass_settings
def doctor(settings: WagenSettings, tenant_id: str, as_json: bool) -> None:
    """Check every connection of a tenant now; exit 1 if any check fails."""
    report = run_onboarding(settings, lambda o: o.health(tenant_id))
    for check in report.checks:
        if as_json:
            emit_json({"tenantId": report.tenant_id, **check.as_json()})
            continue
        when = f"  ({check.at.isoformat()})" if check.at else ""
        click.echo(f"{check.status:<8}{check.name:<28}{check.detail}{when}")
    if not as_json:
        click.echo(f"{tenant_id}: {'healthy' if report.healthy else 'unhealthy'}")
    sys.exit(0 if report.healthy else 1)
