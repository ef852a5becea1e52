"""``wagen topics``: the topics wagen declares, and making the cluster match them."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict

import click
from aiokafka.errors import KafkaError

from pipeline.settings import WagenSettings
from pipeline.topics import TOPICS, TopicSetupError, ensure_declared_topics


@click.group()
def topics() -> None:
    """Kafka topics."""


@topics.command("ensure")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per topic.")
@click.pass_obj
def topics_ensure(settings: WagenSettings, as_json: bool) -> None:
    """Create missing topics and reset drifted retention/cleanup configs (idempotent)."""
    try:
        outcomes = asyncio.run(ensure_declared_topics(settings.kafka))
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


@topics.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per topic.")
def topics_list(as_json: bool) -> None:
    """The topics wagen declares: name, key, retention and purpose."""
    for spec in TOPICS:
        row = {
            "name": spec.name,
            "key": spec.key,
            "retention_hours": spec.retention.total_seconds() / 3600,
            "purpose": spec.purpose,
        }
        if as_json:
            click.echo(json.dumps(row))
        else:
            click.echo(
                f"{spec.name:<26} key={spec.key:<16} "
                f"retention={row['retention_hours']:g}h  {spec.purpose}"
            )
