"""``wagen replay``: re-drive a tenant's raw webhooks of a time window through the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from pipeline.cli.common import TIME_HELP, cli_actor, emit_json, progress_bar, run, time_option
from pipeline.cli.context import pass_settings
from pipeline.kafka.topics import GENESYS_WEBHOOKS, WA_WEBHOOKS

if TYPE_CHECKING:
    from pipeline.ops.redrive import Publish, RedriveResult
    from pipeline.settings import WagenSettings

AUDIT_ACTION = "topic.replay"


async def _redrive(
    settings: WagenSettings,
    topic: str,
    tenant: str,
    since_ms: int,
    until_ms: int | None,
    dry_run: bool,
    on_progress: Callable[[int, int], None],
) -> RedriveResult:
    import asyncio

    from aiokafka import AIOKafkaProducer

    from pipeline.ops.redrive import redrive
    from tenancy.audit import record
    from tenancy.db.pool import postgres_pool
    from tenancy.db.scope import tenant_tx

    servers = settings.kafka.servers

    async def drive(publish: Publish | None) -> RedriveResult:
        return await redrive(
            servers,
            topic,
            tenant,
            since_ms=since_ms,
            until_ms=until_ms,
            publish=publish,
            on_progress=on_progress,
        )

    if dry_run:
        return await drive(None)
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True)
    await producer.start()
    sent: list[asyncio.Future[object]] = []

    async def publish(
        to: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        # Batched: every send is awaited below, before the count is reported and audited.
        sent.append(await producer.send(to, value, key=key, headers=headers))

    try:
        result = await drive(publish)
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    async with postgres_pool(settings.postgres) as pool, tenant_tx(pool, tenant) as conn:
        await record(
            conn,
            cli_actor(),
            tenant_id=tenant,
            action=AUDIT_ACTION,
            target=topic,
            details=result.as_json(),
        )
    return result


@click.command("replay")
@click.option("--tenant", required=True, help="Whose records to re-drive.")
@click.option("--since", required=True, help=f"Records written since then ({TIME_HELP}).")
@click.option("--until", help=f"...and before then (default: now) ({TIME_HELP}).")
@click.option(
    "--topic",
    type=click.Choice([WA_WEBHOOKS, GENESYS_WEBHOOKS]),
    default=WA_WEBHOOKS,
    show_default=True,
    help="The raw topic to re-drive (customer webhooks, or Genesys agent webhooks).",
)
@click.option("--dry-run", is_flag=True, help="Count the records only; publish nothing.")
@click.option("--json", "as_json", is_flag=True, help="The result as one JSON object.")
@pass_settings
def replay(
    settings: WagenSettings,
    tenant: str,
    since: str,
    until: str | None,
    topic: str,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Publish a tenant's raw webhook records of a time window again, to the same topic.

    The records go through the whole pipeline once more. This is safe: the idempotency
    claims downstream drop every message already delivered, so only what was lost goes out
    (delivery of the rest is not repeated). Headers are kept (tenant, request id, receive
    time) plus replayed_from=topic:partition:offset; copies made by an earlier replay of the
    same topic are skipped. The re-drive is recorded in the tenant's audit log with its
    counts. The window is by Kafka record time.
    """
    since_ms = time_option(since, "--since")
    until_ms = time_option(until, "--until")
    assert since_ms is not None  # required option
    if until_ms is not None and until_ms <= since_ms:
        raise click.UsageError("--until must be later than --since")
    with progress_bar(f"{'counting' if dry_run else 're-driving'} {tenant}") as update:
        result = run(
            settings, _redrive(settings, topic, tenant, since_ms, until_ms, dry_run, update)
        )
    if as_json:
        emit_json(result.as_json())
        return
    verb = "would re-drive" if dry_run else "re-drove"
    count = result.matched if dry_run else result.published
    click.echo(
        f"{verb} {count} record(s) of tenant {tenant} on {topic} "
        f"({result.scanned} read, {result.copies_skipped} earlier copies skipped)"
    )
