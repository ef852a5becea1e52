"""``wagen dlq list|show|replay|purge``: look into dead-letter topics, re-drive or purge entries.

Replays and purges are marked per entry in the tenant's audit log (``pipeline.ops.dlq``); the
listing reads the marks back, so it needs PostgreSQL as well as Kafka.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from pipeline.cli.common import (
    TIME_HELP,
    cli_actor,
    console,
    emit_json,
    fail,
    progress_bar,
    run,
    time_option,
)
from pipeline.cli.context import pass_settings
from pipeline.kafka.topics import TOPICS, dlq_topic

if TYPE_CHECKING:
    from pipeline.ops.dlq import DlqEntry, Marks
    from pipeline.ops.dlq_purge import PurgePlan
    from pipeline.settings import WagenSettings
    from tenancy.audit import Actor

_SOURCES = sorted({s.name for s in TOPICS if not s.name.endswith((".dlq", ".retry", ".held"))})


@dataclass(frozen=True)
class Filters:
    """The operator's selection of entries."""

    tenant: str | None
    since_ms: int | None
    refs: tuple[str, ...]

    @classmethod
    def parse(cls, tenant: str | None, since: str | None, refs: tuple[str, ...]) -> Filters:
        """From the options (a bad --since is a usage error before anything is read)."""
        return cls(tenant, time_option(since, "--since"), _refs(refs))

    def select(self, entries: list[DlqEntry]) -> list[DlqEntry]:
        """The entries that pass."""
        from pipeline.ops.dlq import matches

        return [
            e
            for e in entries
            if matches(e, tenant=self.tenant, since_ms=self.since_ms, refs=self.refs)
        ]

    @property
    def empty(self) -> bool:
        """No filter at all: every entry of the topic."""
        return self.tenant is None and self.since_ms is None and not self.refs


async def _read(
    settings: WagenSettings,
    source: str,
    refs: tuple[str, ...],
    update: Callable[[int, int], None],
) -> tuple[list[DlqEntry], Marks]:
    from pipeline.ops.dlq import read_marks, read_topic
    from tenancy.db.pool import postgres_pool

    entries: list[DlqEntry] = []
    async for entry in read_topic(settings.kafka.servers, dlq_topic(source), refs):
        entries.append(entry)
        update(0, len(entries))
    async with postgres_pool(settings.postgres) as pool:
        return entries, await read_marks(pool, entries)


def _collect(
    settings: WagenSettings, source: str, refs: tuple[str, ...] = ()
) -> tuple[list[DlqEntry], Marks]:
    """The entries of the DLQ (only ``refs`` when given) and their marks."""
    with progress_bar(f"reading {dlq_topic(source)}") as update:
        return run(settings, _read(settings, source, refs, update))


def _refs(refs: tuple[str, ...], hint: str = "--id") -> tuple[str, ...]:
    from pipeline.ops.dlq import parse_ref

    for ref in refs:
        try:
            parse_ref(ref)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None
    return refs


@click.group()
def dlq() -> None:
    """Dead-letter topics: what failed for good, re-driving it, purging it."""


_topic_option = click.option(
    "--topic",
    "source",
    type=click.Choice(_SOURCES),
    default="wa.events",
    show_default=True,
    help="The source topic whose DLQ to read.",
)
_tenant_option = click.option("--tenant", help="Only this tenant's entries.")
_since_option = click.option("--since", help=f"Only entries dead-lettered since ({TIME_HELP}).")
_id_option = click.option(
    "--id", "refs", multiple=True, help="Only this entry, topic:partition:offset (repeatable)."
)
_json_option = click.option("--json", "as_json", is_flag=True, help="One JSON object per entry.")


@dlq.command("list")
@_topic_option
@_tenant_option
@_since_option
@_id_option
@click.option("--all", "show_all", is_flag=True, help="Also entries purged before.")
@_json_option
@pass_settings
def dlq_list(
    settings: WagenSettings,
    source: str,
    tenant: str | None,
    since: str | None,
    refs: tuple[str, ...],
    show_all: bool,
    as_json: bool,
) -> None:
    """Entries of a DLQ: where, whose, why, and whether replayed (purged ones left out)."""
    filters = Filters.parse(tenant, since, refs)
    entries, marks = _collect(settings, source, filters.refs)
    rows = [
        {**e.summary(), "status": marks.status(e), "replays": marks.replays[e.ref]}
        for e in filters.select(entries)
        if show_all or e.ref not in marks.purged
    ]
    if as_json:
        for row in rows:
            emit_json(row)
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD)
    for column in ("ref", "tenant", "status", "error"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["ref"]),
            str(row["tenant_id"]),
            str(row["status"]),
            f"{row['error_code']}: {row['error']}",
        )
    out = console()
    out.print(table)
    out.print(f"{len(rows)} entries")


@dlq.command("show")
@_topic_option
@click.argument("ref")
@pass_settings
def dlq_show(settings: WagenSettings, source: str, ref: str) -> None:
    """One entry (REF = topic:partition:offset from `list`), headers and body, as JSON."""
    entries, marks = _collect(settings, source, _refs((ref,), "REF"))
    found = [e for e in entries if e.ref == ref]
    if not found:
        fail(f"no entry {ref} in {dlq_topic(source)}")
    entry = found[0]
    click.echo(
        json.dumps(
            {
                **entry.summary(),
                "status": marks.status(entry),
                "replays": marks.replays[entry.ref],
                "key": (entry.key or b"").decode(errors="replace"),
                "headers": {k: v.decode(errors="replace") for k, v in entry.headers.items()},
                "value": entry.value.decode(errors="replace"),
            },
            indent=2,
        )
    )


async def _replay(
    settings: WagenSettings, entries: list[DlqEntry], marks: Marks, force: bool, actor: Actor
) -> list[tuple[str, str]]:
    from aiokafka import AIOKafkaProducer

    from pipeline.ops.dlq_replay import replay_entries
    from tenancy.db.pool import postgres_pool

    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        async with postgres_pool(settings.postgres) as pool:
            done = await replay_entries(producer, pool, entries, marks, force=force, actor=actor)
    finally:
        await producer.stop()
    return [(o.ref, o.outcome) for o in done]


@dlq.command("replay")
@_topic_option
@_tenant_option
@_since_option
@_id_option
@click.option("--force", is_flag=True, help="Replay entries replayed before, too.")
@_json_option
@pass_settings
def dlq_replay(
    settings: WagenSettings,
    source: str,
    tenant: str | None,
    since: str | None,
    refs: tuple[str, ...],
    force: bool,
    as_json: bool,
) -> None:
    """Publish entries back to their source topic with a fresh attempt count (audited).

    Entries replayed before are skipped unless --force; purged entries always are.
    """
    filters = Filters.parse(tenant, since, refs)
    entries, marks = _collect(settings, source, filters.refs)
    selected = filters.select(entries)
    outcomes = run(settings, _replay(settings, selected, marks, force, cli_actor()))
    for ref, outcome in outcomes:
        if as_json:
            emit_json({"ref": ref, "outcome": outcome})
        else:
            click.echo(f"{ref}  {outcome}")


def _confirm(plan: PurgePlan, filters: Filters) -> None:
    scope = "EVERY entry of" if filters.empty else "the selected entries of"
    click.confirm(
        f"Purge {len(plan.entries)} {scope} {plan.topic}? {plan.deleted_count} are deleted "
        "from Kafka, the others hidden from list and replay. This cannot be undone.",
        abort=True,
        err=True,
    )


async def _purge(settings: WagenSettings, plan: PurgePlan) -> list[tuple[DlqEntry, str]]:
    from pipeline.ops.dlq_purge import execute_purge
    from tenancy.db.pool import postgres_pool

    async with postgres_pool(settings.postgres) as pool:
        return await execute_purge(settings.kafka.servers, pool, plan, cli_actor())


@dlq.command("purge")
@_topic_option
@_tenant_option
@_since_option
@_id_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_json_option
@pass_settings
def dlq_purge(
    settings: WagenSettings,
    source: str,
    tenant: str | None,
    since: str | None,
    refs: tuple[str, ...],
    yes: bool,
    as_json: bool,
) -> None:
    """Purge entries for good (audited per entry); with no filter, the whole DLQ.

    Kafka deletes only whole prefixes of a partition, never one record. So each purged
    entry is marked in its tenant's audit log (list and replay skip it from then on), and
    where a partition starts with purged entries only, those records are deleted from Kafka
    for real (DeleteRecords). Without --tenant/--since/--id every entry is purged and every
    partition emptied. An entry with no tenant cannot be marked: it goes only when it is at
    the head of its partition.
    """
    filters = Filters.parse(tenant, since, refs)
    from pipeline.ops.dlq_purge import plan_purge

    entries, marks = _collect(settings, source)
    plan = plan_purge(dlq_topic(source), entries, filters.select(entries), marks)
    if not plan.entries:
        if as_json:
            return
        click.echo("nothing to purge")
        return
    if not yes:
        _confirm(plan, filters)
    for entry, outcome in run(settings, _purge(settings, plan)):
        if as_json:
            emit_json({"ref": entry.ref, "tenant_id": entry.tenant_id, "outcome": outcome})
        else:
            click.echo(f"{entry.ref}  {outcome}")
