"""Reading what wagen stores about messages: one message's journey, a customer's messages,
a tenant's latest activity per direction (the console's pages).

The rows are written by :mod:`pipeline.store.journey` (steps) and the claims
(:mod:`pipeline.store.tracking`, :mod:`pipeline.store.outbound`); every read runs in the
tenant's transaction and names the tenant in its WHERE clause.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import asyncpg

from pipeline.store.journey import Position, Step
from pipeline.store.tracking import Direction
from tenancy.db.scope import tenant_tx


@dataclass(frozen=True)
class JourneyStep:
    """One row as the journey page reads it."""

    direction: Direction
    message_id: str
    step: Step
    at: datetime
    correlation_id: str | None
    position: Position | None
    attempt: int | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class TrackedMessage:
    """A ``message_tracking`` row: the delivery claim and its outcome."""

    direction: Direction
    wa_id: str | None
    wa_message_id: str | None
    genesys_message_id: str | None
    status: str
    error: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    claimed_until: datetime | None
    sending_since: datetime | None
    parts_sent: int

    @property
    def message_id(self) -> str:
        """The id the journey rows use: the wamid inbound, the Genesys id outbound."""
        if self.direction == "inbound":
            return self.wa_message_id or ""
        return self.genesys_message_id or ""


def _json(raw: object) -> dict[str, Any] | None:
    data = json.loads(raw) if isinstance(raw, str) else raw
    return data if isinstance(data, dict) else None


def _tracked(row: asyncpg.Record) -> TrackedMessage:
    return TrackedMessage(
        direction=row["direction"],
        wa_id=row["wa_id"],
        wa_message_id=row["wa_message_id"],
        genesys_message_id=row["genesys_message_id"],
        status=row["status"],
        error=_json(row["error"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        claimed_until=row["claimed_until"],
        sending_since=row["sending_since"],
        parts_sent=int(row["parts_sent"]),
    )


_TRACKED_COLUMNS: Final = (
    "direction, wa_id, wa_message_id, genesys_message_id, status, error, created_at, "
    "updated_at, claimed_until, sending_since, parts_sent "
)


@dataclass(frozen=True)
class Journey:
    """Everything wagen stores about one message."""

    message_id: str
    tracked: tuple[TrackedMessage, ...]
    steps: tuple[JourneyStep, ...]


async def read_journey(pool: asyncpg.Pool, tenant_id: str, message_id: str) -> Journey | None:
    """The tracking rows and journey steps of a message known by ``message_id`` (a wamid or
    a Genesys message id, either direction); None when the tenant has no such message."""
    async with tenant_tx(pool, tenant_id) as conn:
        rows = await conn.fetch(
            f"SELECT {_TRACKED_COLUMNS} FROM message_tracking "  # noqa: S608 (fixed columns)
            "WHERE tenant_id = $1 AND (wa_message_id = $2 OR genesys_message_id = $2) "
            "ORDER BY created_at",
            tenant_id,
            message_id,
        )
        tracked = tuple(_tracked(r) for r in rows)
        ids = sorted({message_id, *(t.message_id for t in tracked if t.message_id)})
        steps = await conn.fetch(
            "SELECT direction, message_id, step, at, correlation_id, topic, kafka_partition, "
            "kafka_offset, attempt, detail FROM message_journey "
            "WHERE tenant_id = $1 AND message_id = ANY($2::text[]) ORDER BY at, step_id",
            tenant_id,
            ids,
        )
    if not tracked and not steps:
        return None
    return Journey(message_id, tracked, tuple(_journey_step(r) for r in steps))


def _journey_step(row: asyncpg.Record) -> JourneyStep:
    topic = row["topic"]
    position = (
        Position(topic, row["kafka_partition"], row["kafka_offset"])
        if topic is not None and row["kafka_partition"] is not None
        else None
    )
    return JourneyStep(
        direction=row["direction"],
        message_id=row["message_id"],
        step=row["step"],
        at=row["at"],
        correlation_id=row["correlation_id"],
        position=position,
        attempt=row["attempt"],
        detail=_json(row["detail"]) or {},
    )


async def conversation_messages(
    pool: asyncpg.Pool, tenant_id: str, wa_id: str, *, limit: int
) -> list[TrackedMessage]:
    """The customer's latest messages both ways, newest first (each direction read through
    its own customer index, then merged)."""
    one_way = (
        "(SELECT " + _TRACKED_COLUMNS + "FROM message_tracking "
        "WHERE tenant_id = $1 AND wa_id = $2 AND direction = '{}' "
        "ORDER BY created_at DESC LIMIT $3)"
    )
    sql = (
        one_way.format("inbound")
        + " UNION ALL "
        + one_way.format("outbound")
        + " ORDER BY created_at DESC LIMIT $3"
    )
    async with tenant_tx(pool, tenant_id) as conn:
        rows = await conn.fetch(sql, tenant_id, wa_id, limit)
    return [_tracked(r) for r in rows]


_STEP_COLUMNS: Final = (
    "direction, message_id, step, at, correlation_id, topic, kafka_partition, kafka_offset, "
    "attempt, detail "
)


@dataclass(frozen=True)
class Activity:
    """A tenant's latest traffic of one source: what the connections page shows.

    Attributes:
        direction: the deliveries this source's webhooks start: ``inbound`` for Meta (to
            Genesys), ``outbound`` for Genesys (to WhatsApp).
        last_webhook: the newest journey step set off by a webhook of this source (Meta's
            statuses of agent messages count as Meta's); its ``receivedAtMs`` tells when the
            gateway received it.
        last_step: the newest step of the direction's deliveries.
        last_failure: the newest retry, held or DLQ step of that direction.
        last_tracked: the newest tracking row (messages carried before journeys were kept).
    """

    direction: Direction
    last_webhook: JourneyStep | None
    last_step: JourneyStep | None
    last_failure: JourneyStep | None
    last_tracked: TrackedMessage | None

    @property
    def last_webhook_at(self) -> datetime | None:
        """When the gateway received the newest webhook wagen carried from this source."""
        received = self.last_webhook.detail.get("receivedAtMs") if self.last_webhook else None
        if isinstance(received, int):
            return datetime.fromtimestamp(received / 1000, tz=UTC)
        return self.last_tracked.created_at if self.last_tracked else None


# Webhooks of each source: Meta's set off inbound steps and the receipts of agent messages;
# Genesys's set off the other outbound steps.
_SOURCE_STEPS: Final = {
    "inbound": "(direction = 'inbound' OR step = 'receipt')",
    "outbound": "(direction = 'outbound' AND step <> 'receipt')",
}


async def latest_activity(pool: asyncpg.Pool, tenant_id: str, direction: Direction) -> Activity:
    """The tenant's newest webhook step, step, failure and tracking row of one direction
    (each an index read backwards, stopping at the first match)."""
    newest = f"SELECT {_STEP_COLUMNS} FROM message_journey WHERE tenant_id = $1 "  # noqa: S608 (fixed parts)
    async with tenant_tx(pool, tenant_id) as conn:
        webhook = await conn.fetchrow(
            newest + f"AND {_SOURCE_STEPS[direction]} ORDER BY step_id DESC LIMIT 1",
            tenant_id,
        )
        last = await conn.fetchrow(
            newest + "AND direction = $2 ORDER BY step_id DESC LIMIT 1", tenant_id, direction
        )
        failure = await conn.fetchrow(
            newest + "AND direction = $2 AND step IN ('retry', 'held', 'dlq') "
            "ORDER BY step_id DESC LIMIT 1",
            tenant_id,
            direction,
        )
        tracked = await conn.fetchrow(
            f"SELECT {_TRACKED_COLUMNS} FROM message_tracking "  # noqa: S608 (fixed columns)
            "WHERE tenant_id = $1 AND direction = $2 ORDER BY created_at DESC LIMIT 1",
            tenant_id,
            direction,
        )
    return Activity(
        direction=direction,
        last_webhook=_journey_step(webhook) if webhook else None,
        last_step=_journey_step(last) if last else None,
        last_failure=_journey_step(failure) if failure else None,
        last_tracked=_tracked(tracked) if tracked else None,
    )
