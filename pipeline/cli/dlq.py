"""``wagen dlq list|show|replay``: look into dead-letter topics and re-drive their entries."""

from __future__ import annotations

import asyncio
import getpass
import json
import re
import sys
from datetime import datetime

import click
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from pipeline.dlq import DlqEntry, matches, now_ms, read_topic, replay
from pipeline.settings import WagenSettings
from pipeline.topics import TOPICS, dlq_topic
from tenancy.audit import Actor, record
from tenancy.db.pool import postgres_pool
from tenancy.db.scope import tenant_tx

_SOURCES = sorted({s.name for s in TOPICS if not s.name.endswith((".dlq", ".retry", ".held"))})
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_since(value: str | None) -> int | None:
    """``10m``, ``2h``, ``1d`` ago, or an ISO-8601 time, as epoch milliseconds."""
    if value is None:
        return None
    duration = _DURATION.match(value)
    if duration:
        return now_ms() - int(duration[1]) * _UNIT_MS[duration[2]]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use a duration like 10m, 2h, 1d or an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the time zone, e.g. 2026-11-27T10:00:00+00:00")
    return int(moment.timestamp() * 1000)


async def _entries(
    settings: WagenSettings, source: str, tenant: str | None, since: int | None
) -> list[DlqEntry]:
    return [
        entry
        async for entry in read_topic(settings.kafka.servers, dlq_topic(source))
        if matches(entry, tenant=tenant, since_ms=since)
    ]


def _collect(
    settings: WagenSettings, source: str, tenant: str | None, since: str | None
) -> list[DlqEntry]:
    try:
        return asyncio.run(_entries(settings, source, tenant, parse_since(since)))
    except KafkaError as exc:
        click.echo(f"error: cannot read {dlq_topic(source)}: {exc}", err=True)
        sys.exit(1)


@click.group()
def dlq() -> None:
    """Dead-letter topics: what failed for good, and re-driving it."""


_topic_option = click.option(
    "--topic",
    "source",
    type=click.Choice(_SOURCES),
    default="wa.events",
    show_default=True,
    help="The source topic whose DLQ to read.",
)


@dlq.command("list")
@_topic_option
@click.option("--tenant", help="Only this tenant's entries.")
@click.option("--since", help="Only entries dead-lettered since (10m, 2h, 1d, or ISO time).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per entry.")
@click.pass_obj
def dlq_list(
    settings: WagenSettings, source: str, tenant: str | None, since: str | None, as_json: bool
) -> None:
    """Entries of a DLQ: where, whose, why."""
    for entry in _collect(settings, source, tenant, since):
        row = entry.summary()
        if as_json:
            click.echo(json.dumps(row))
        else:
            click.echo(
                f"{row['ref']:<28} {row['tenant_id']:<20} {row['error_code']}: {row['error']}"
            )


@dlq.command("show")
@_topic_option
@click.argument("ref")
@click.pass_obj
def dlq_show(settings: WagenSettings, source: str, ref: str) -> None:
    """One entry (REF = topic:partition:offset from `list`), headers and body."""
    found = [e for e in _collect(settings, source, None, None) if e.ref == ref]
    if not found:
        click.echo(f"error: no entry {ref} in {dlq_topic(source)}", err=True)
        sys.exit(1)
    entry = found[0]
    click.echo(
        json.dumps(
            {
                **entry.summary(),
                "key": (entry.key or b"").decode(errors="replace"),
                "headers": {k: v.decode(errors="replace") for k, v in entry.headers.items()},
                "value": entry.value.decode(errors="replace"),
            },
            indent=2,
        )
    )


async def _replay(
    settings: WagenSettings, entries: list[DlqEntry], force: bool, actor: Actor
) -> list[tuple[str, str]]:
    outcomes: list[tuple[str, str]] = []
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        async with postgres_pool(settings.postgres) as pool:
            for entry in entries:
                if not entry.tenant_id:
                    outcomes.append((entry.ref, "skipped: no tenant, cannot be routed"))
                    continue
                async with tenant_tx(pool, entry.tenant_id) as conn:
                    done = await conn.fetchval(
                        "SELECT count(*) FROM audit_log WHERE tenant_id = $1 "
                        "AND action = 'dlq.replay' AND target = $2",
                        entry.tenant_id,
                        entry.ref,
                    )
                    if done and not force:
                        outcomes.append((entry.ref, "skipped: replayed before (use --force)"))
                        continue
                    await replay(producer, entry)
                    await record(
                        conn,
                        actor,
                        tenant_id=entry.tenant_id,
                        action="dlq.replay",
                        target=entry.ref,
                        details={"to": entry.source_topic, "times_before": done},
                    )
                outcomes.append((entry.ref, f"replayed to {entry.source_topic}"))
    finally:
        await producer.stop()
    return outcomes


@dlq.command("replay")
@_topic_option
@click.option("--tenant", help="Only this tenant's entries.")
@click.option("--since", help="Only entries dead-lettered since (10m, 2h, 1d, or ISO time).")
@click.option("--id", "refs", multiple=True, help="Only this entry (repeatable).")
@click.option("--force", is_flag=True, help="Replay entries replayed before, too.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per entry.")
@click.pass_obj
def dlq_replay(
    settings: WagenSettings,
    source: str,
    tenant: str | None,
    since: str | None,
    refs: tuple[str, ...],
    force: bool,
    as_json: bool,
) -> None:
    """Publish entries back to their source topic with a fresh attempt count (audited)."""
    entries = _collect(settings, source, tenant, since)
    if refs:
        entries = [e for e in entries if e.ref in refs]
    actor = Actor(label=f"cli:{getpass.getuser()}", request_id=None)
    try:
        outcomes = asyncio.run(_replay(settings, entries, force, actor))
    except (KafkaError, OSError) as exc:
        click.echo(f"error: replay failed: {exc}", err=True)
        sys.exit(1)
    for ref, outcome in outcomes:
        click.echo(json.dumps({"ref": ref, "outcome": outcome}) if as_json else f"{ref}  {outcome}")
