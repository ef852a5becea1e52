"""``wagen topics list|describe|ensure``: the declared topics as the cluster has them, and
making the cluster match the declarations."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from pipeline.cli.common import console, emit_json, fail, run
from pipeline.cli.context import pass_settings
from pipeline.kafka.topics import TOPICS

if TYPE_CHECKING:
    from pipeline.kafka.admin import TopicFacts
    from pipeline.kafka.durability import Finding
    from pipeline.kafka.topics import TopicOutcome
    from pipeline.settings import WagenSettings


@click.group()
def topics() -> None:
    """Kafka topics."""


@topics.command("ensure")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per topic.")
@pass_settings
def topics_ensure(settings: WagenSettings, as_json: bool) -> None:
    """Create missing topics and reset drifted retention/cleanup/min-ISR configs (idempotent).

    The worker group's own topic (Faust's leader election, WAGEN_WORKER_APP_ID) too.

    Then check the cluster against the durability the gateway promises (replicas, in-sync
    minimum, failure detection against the publish timeout) and print what it found.
    """
    import asyncio

    from aiokafka.errors import KafkaError

    from pipeline.kafka.durability import check_durability
    from pipeline.kafka.topics import TopicSetupError, ensure_declared_topics

    async def work() -> tuple[list[TopicOutcome], list[Finding]]:
        outcomes = await ensure_declared_topics(settings.kafka, settings.worker.app_id)
        return outcomes, await check_durability(settings.kafka, settings.gateway.publish_timeout_s)

    try:
        outcomes, findings = asyncio.run(work())
    except (KafkaError, OSError, TopicSetupError) as exc:
        click.echo(
            f"error: cannot reach Kafka at {settings.kafka.bootstrap_servers}: {exc} "
            "(is the stack up? deploy/local/stack up)",
            err=True,
        )
        sys.exit(1)
    for outcome in outcomes:
        if as_json:
            click.echo(json.dumps(asdict(outcome)))
        else:
            note = f"  WARNING: {outcome.warning}" if outcome.warning else ""
            click.echo(
                f"{outcome.name:<26} {outcome.action:<12} {outcome.partitions} partitions{note}"
            )
    for finding in findings:
        if as_json:
            emit_json({"check": "durability", **asdict(finding)})
        else:
            mark = "WARNING: " if finding.level == "warning" else ""
            click.echo(f"cluster: {mark}{finding.message}")


def _facts(settings: WagenSettings, names: list[str]) -> list[TopicFacts]:
    from pipeline.kafka.admin import topic_facts

    return run(settings, topic_facts(settings.kafka.servers, names))


def _size(value: int | None) -> str:
    if value is None:
        return "?"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def _retention(value: int | None) -> str:
    if value is None:
        return "?"
    if value < 0:
        return "forever"
    hours = value / 3_600_000
    return f"{hours / 24:g}d" if hours >= 24 and hours % 24 == 0 else f"{hours:g}h"


@topics.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per topic.")
@pass_settings
def topics_list(settings: WagenSettings, as_json: bool) -> None:
    """The declared topics as the cluster has them now.

    Partitions, replication factor, retention and cleanup policy (the broker's actual
    config; `drift` when it differs from pipeline/topics.py), size on disk (largest replica,
    from DescribeLogDirs), the sum of end offsets and the records still kept.
    """
    from rich import box
    from rich.table import Table

    specs = {s.name: s for s in TOPICS}
    facts = _facts(settings, list(specs))
    rows = []
    for fact in facts:
        spec = specs[fact.name]
        rows.append(
            {
                **fact.summary(),
                "key": spec.key,
                "declared_retention_ms": int(spec.configs()["retention.ms"]),
                "drift": fact.exists
                and dict(fact.configs) != spec.configs(settings.kafka.min_insync_replicas),
                "purpose": spec.purpose,
            }
        )
    if as_json:
        for row in rows:
            emit_json(row)
        return
    table = Table(box=box.SIMPLE_HEAD)
    for column in (
        "topic",
        "parts",
        "rf",
        "min isr",
        "retention",
        "cleanup",
        "size",
        "end offsets",
        "records",
    ):
        table.add_column(column, justify="left" if column in {"topic", "cleanup"} else "right")
    for row in rows:
        if not row["exists"]:
            table.add_row(row["name"], "[red]missing[/red]", *[""] * 7)
            continue
        retention = _retention(row["retention_ms"])
        table.add_row(
            row["name"],
            str(row["partitions"]),
            str(row["replication_factor"]),
            str(row["min_insync_replicas"]),
            f"[yellow]{retention} (drift)[/yellow]" if row["drift"] else retention,
            str(row["cleanup_policy"]),
            _size(row["size_bytes"]),
            str(row["end_offset_sum"]),
            str(row["records"]),
        )
    console().print(table)


@topics.command("describe")
@click.argument("topic", type=click.Choice([s.name for s in TOPICS]))
@click.option("--json", "as_json", is_flag=True, help="The topic as one JSON object.")
@pass_settings
def topics_describe(settings: WagenSettings, topic: str, as_json: bool) -> None:
    """One topic, partition by partition: leader, replicas, in-sync replicas, earliest and
    end offsets, records kept and size on disk."""
    from rich import box
    from rich.table import Table

    [fact] = _facts(settings, [topic])
    if not fact.exists:
        fail(f"topic {topic} does not exist on the broker (run `wagen topics ensure`)")
    if as_json:
        emit_json({**fact.summary(), "partition_detail": [p.as_json() for p in fact.partitions]})
        return
    summary = fact.summary()
    out = console()
    out.print(
        f"[bold]{topic}[/bold]  {summary['partitions']} partitions  "
        f"rf {summary['replication_factor']}  min isr {summary['min_insync_replicas']}  "
        f"retention {_retention(summary['retention_ms'])}  "
        f"cleanup {summary['cleanup_policy']}  size {_size(summary['size_bytes'])}  "
        f"end offsets {summary['end_offset_sum']}  records {summary['records']}"
    )
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("partition", "leader", "replicas", "isr", "earliest", "end", "records", "size"):
        table.add_column(column, justify="right")
    for p in fact.partitions:
        table.add_row(
            str(p.partition),
            str(p.leader),
            ",".join(map(str, p.replicas)),
            ",".join(map(str, p.isr)),
            str(p.earliest),
            str(p.end),
            str(p.end - p.earliest),
            _size(p.size_bytes),
        )
    out.print(table)
