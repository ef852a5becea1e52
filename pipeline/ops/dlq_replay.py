"""Replaying DLQ entries for an operator: published back to their source, audited per entry.

Shared by ``wagen dlq replay`` and the console's DLQ page, so both skip and record the same
way: an entry with no tenant cannot be routed, a purged one stays purged, one replayed before
goes again only when forced. Each replay is one tenant transaction holding the audit line and
the message's journey row; the record is published inside it, so a replay that did not reach
Kafka leaves no line saying it did.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaProducer

from pipeline.kafka.topics import GENESYS_WEBHOOKS
from pipeline.ops.dlq import REPLAYED, DlqEntry, Marks, replay
from pipeline.store import journey
from pipeline.store.tracking import Direction
from tenancy.audit import Actor, record
from tenancy.db.scope import tenant_tx


@dataclass(frozen=True)
class ReplayOutcome:
    """What became of one entry."""

    ref: str
    tenant_id: str
    outcome: str
    replayed: bool


def entry_message(entry: DlqEntry) -> tuple[Direction, str] | None:
    """Whose journey an entry belongs to: an event's message (split agent's headers), an
    agent's webhook (its Genesys id, from the body); None for a raw Meta webhook."""
    if entry.source_topic == GENESYS_WEBHOOKS:
        try:
            found = json.loads(entry.value).get("id")
        except (ValueError, AttributeError):
            return None
        return ("outbound", found) if isinstance(found, str) and found else None
    message_id = entry.headers.get("message_id", b"").decode(errors="replace")
    if not message_id:
        return None
    kind = entry.headers.get("kind", b"").decode(errors="replace")
    return ("outbound" if kind == "status" else "inbound"), message_id


async def replay_entries(
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    entries: Sequence[DlqEntry],
    marks: Marks,
    *,
    force: bool,
    actor: Actor,
) -> list[ReplayOutcome]:
    """Replay each entry that may go; report every entry."""
    outcomes: list[ReplayOutcome] = []
    for entry in entries:
        done = marks.replays[entry.ref]
        skipped = None
        if not entry.tenant_id:
            skipped = "skipped: no tenant, cannot be routed"
        elif entry.ref in marks.purged:
            skipped = "skipped: purged"
        elif done and not force:
            skipped = "skipped: replayed before (use --force)"
        if skipped is not None:
            outcomes.append(ReplayOutcome(entry.ref, entry.tenant_id, skipped, replayed=False))
            continue
        async with tenant_tx(pool, entry.tenant_id) as conn:
            await replay(producer, entry)
            await record(
                conn,
                actor,
                tenant_id=entry.tenant_id,
                action=REPLAYED,
                target=entry.ref,
                details={"to": entry.source_topic, "times_before": done},
            )
            whose = entry_message(entry)
            if whose is not None:
                position = journey.Position(entry.topic, entry.partition, entry.offset)
                await journey.step(
                    entry.tenant_id,
                    whose[0],
                    whose[1],
                    "replayed",
                    journey.Mark.of(entry.headers, position, attempt=0),
                    {"to": entry.source_topic, "by": actor.label},
                ).run(conn)
        outcomes.append(
            ReplayOutcome(
                entry.ref, entry.tenant_id, f"replayed to {entry.source_topic}", replayed=True
            )
        )
    return outcomes
