"""``wagen held list|release``: events parked for a tenant, and freeing them."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from pipeline.cli.context import pass_settings
from pipeline.kafka.topics import GENESYS_WEBHOOKS, WA_EVENTS

if TYPE_CHECKING:
    from pipeline.ops.held import HeldReleaser
    from pipeline.settings import WagenSettings

T = TypeVar("T")


async def _with_releaser(
    settings: WagenSettings, source: str, work: Callable[[HeldReleaser], Awaitable[T]]
) -> T:
    from aiokafka import AIOKafkaProducer

    from pipeline.ops.held import HeldReleaser
    from pipeline.runtime.resources import open_resources, tenancy_services
    from tenancy.audit import Actor

    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.servers, acks="all", enable_idempotence=True
    )
    await producer.start()

    async def publish(
        topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        await producer.send_and_wait(topic, value, key=key, headers=headers)

    try:
        async with open_resources(settings) as resources:
            releaser = HeldReleaser(
                settings.kafka.servers,
                resources.postgres,
                tenancy_services(settings, resources),
                publish,
                Actor(label=f"cli:{getpass.getuser()}", request_id=None),
                source,
            )
            return await work(releaser)
    finally:
        await producer.stop()


def _run(settings: WagenSettings, source: str, work: Callable[[HeldReleaser], Awaitable[T]]) -> T:
    import asyncio

    from aiokafka.errors import KafkaError

    try:
        return asyncio.run(_with_releaser(settings, source, work))
    except (KafkaError, OSError) as exc:
        click.echo(f"error: {exc} (is the stack up? deploy/local/stack up)", err=True)
        sys.exit(1)


@click.group()
def held() -> None:
    """Events held for a tenant: not forwarded, not dropped, released when the reason lifts."""


_topic_option = click.option(
    "--topic",
    "source",
    type=click.Choice([WA_EVENTS, GENESYS_WEBHOOKS]),
    default=WA_EVENTS,
    show_default=True,
    help="Customer messages (wa.events) or agent replies (genesys.webhooks).",
)


@held.command("list")
@_topic_option
@click.option("--tenant", help="Only this tenant's entries.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per entry.")
@pass_settings
def held_list(settings: WagenSettings, source: str, tenant: str | None, as_json: bool) -> None:
    """Entries still held (released ones are left out)."""
    from pipeline.ops.held import held_reason

    async def work(releaser: HeldReleaser) -> list[dict[str, object]]:
        return [
            {
                "ref": e.ref,
                "tenant_id": e.tenant_id,
                "reason": held_reason(e),
                "held_at_ms": int(e.headers.get("held_at_ms", b"0") or b"0"),
            }
            for e in await releaser.held(tenant)
        ]

    for row in _run(settings, source, work):
        click.echo(
            json.dumps(row)
            if as_json
            else f"{row['ref']:<28} {row['tenant_id']:<20} {row['reason']}"
        )


@held.command("release")
@_topic_option
@click.option("--tenant", help="Only this tenant's entries.")
@click.option("--force", is_flag=True, help="Release even if the reason has not lifted.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per entry.")
@pass_settings
def held_release(
    settings: WagenSettings, source: str, tenant: str | None, force: bool, as_json: bool
) -> None:
    """Publish held entries back to their topic where their reason has lifted (audited)."""

    async def work(releaser: HeldReleaser) -> list[dict[str, str]]:
        results = await releaser.release(await releaser.held(tenant), force=force)
        return [{"ref": r.ref, "tenant_id": r.tenant_id, "outcome": r.outcome} for r in results]

    for row in _run(settings, source, work):
        click.echo(json.dumps(row) if as_json else f"{row['ref']:<28} {row['outcome']}")
