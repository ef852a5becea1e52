"""``message_journey``: the steps the worker saw while carrying one message.

Logs say the same, but they are scattered over processes and gone after a while; the
console's journey page reads these rows instead, beside the message's ``message_tracking``
row. The writes are built here and nowhere else, as :class:`~tenancy.db.statements.Statement`
values the worker adds to the transactions it runs anyway, so keeping the journey costs no
round trip on the hot path:

* :func:`step` — a ``delivered`` or ``receipt`` row, one more clause of the statement that
  records the outcome (``run_together``);
* :func:`record_step` — a failure (``retry``, ``held``, ``dlq``) or an operator's
  ``replayed`` / ``released``, in a transaction of its own: those paths are not hot.

What a row knows of the way there comes from the record's headers (:class:`Mark`): the raw
webhook's Kafka position (``webhook_ref``, set by the split agent), the first position of the
event on its main topic (``origin_ref``, kept on retry, held and DLQ copies), when the gateway
received the webhook, and the failed attempts (``retry_history``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import asyncpg

from pipeline.store.tracking import Direction
from tenancy.db.scope import tenant_tx
from tenancy.db.statements import Statement

Step = Literal["delivered", "receipt", "retry", "held", "dlq", "replayed", "released"]

WEBHOOK_REF: Final = "webhook_ref"
"""Header: ``topic:partition:offset`` of the raw webhook record an event was split from."""

ORIGIN_REF: Final = "origin_ref"
"""Header: ``topic:partition:offset`` of a record's first copy on its main topic."""

SPLIT_AT_MS: Final = "split_at_ms"
"""Header: when the split agent published the event (ms since the epoch)."""

RETRY_HISTORY: Final = "retry_history"
"""Header of the failed attempts (written by :mod:`pipeline.kafka.retry`)."""

_MAX_ID: Final = 300


@dataclass(frozen=True)
class Position:
    """Where a record sits on Kafka."""

    topic: str
    partition: int
    offset: int

    @property
    def ref(self) -> str:
        """``topic:partition:offset``, the name the CLI and the DLQ pages use."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    @classmethod
    def parse(cls, ref: str) -> Position | None:
        """The position a ref names, or None for anything else."""
        topic, _, offset = ref.rpartition(":")
        topic, _, partition = topic.rpartition(":")
        if not topic or not partition.isdigit() or not offset.isdigit():
            return None
        return cls(topic, int(partition), int(offset))

    def as_json(self) -> dict[str, Any]:
        """The JSON form kept in ``detail``."""
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset}


def _millis(headers: Mapping[str, bytes], name: str) -> int | None:
    raw = headers.get(name, b"")
    return int(raw) if raw.isdigit() else None


def _ref(headers: Mapping[str, bytes], name: str) -> Position | None:
    return Position.parse(headers.get(name, b"").decode(errors="replace"))


@dataclass(frozen=True)
class Mark:
    """What the worker knows about the record it is carrying, for the journey rows.

    Attributes:
        position: where this record sits (a retry copy's own position on the retry topic).
        attempt: the attempt being made (from 1).
        correlation_id: the webhook request's id (header ``request_id``).
        received_at_ms: when the gateway received the webhook.
        origin: the first copy's position on the main topic (this record's, if it is one).
        webhook: the raw webhook record the event was split from (inbound events only).
        split_at_ms: when the split agent published the event.
        failures: the earlier failed attempts, as the retry headers carry them.
    """

    position: Position | None
    attempt: int
    correlation_id: str | None = None
    received_at_ms: int | None = None
    origin: Position | None = None
    webhook: Position | None = None
    split_at_ms: int | None = None
    failures: tuple[dict[str, Any], ...] = ()

    @classmethod
    def of(cls, headers: Mapping[str, bytes], position: Position | None, attempt: int) -> Mark:
        """Read a record's headers (anything missing or unreadable is left out)."""
        correlation = headers.get("request_id", b"").decode(errors="replace")[:64]
        return cls(
            position=position,
            attempt=attempt,
            correlation_id=correlation or None,
            received_at_ms=_millis(headers, "received_at_ms"),
            origin=_ref(headers, ORIGIN_REF) or position,
            webhook=_ref(headers, WEBHOOK_REF),
            split_at_ms=_millis(headers, SPLIT_AT_MS),
            failures=_failures(headers),
        )

    def facts(self) -> dict[str, Any]:
        """The way here, for ``detail``."""
        facts: dict[str, Any] = {}
        if self.received_at_ms is not None:
            facts["receivedAtMs"] = self.received_at_ms
        if self.webhook is not None:
            facts["webhook"] = self.webhook.as_json()
        if self.origin is not None:
            facts["origin"] = self.origin.as_json()
        if self.split_at_ms is not None:
            facts["splitAtMs"] = self.split_at_ms
        if self.failures:
            facts["failures"] = list(self.failures)
        return facts


def _failures(headers: Mapping[str, bytes]) -> tuple[dict[str, Any], ...]:
    """The failed attempts of the ``retry_history`` header (``pipeline.kafka.retry`` writes
    it), read as plain data: a journey never fails over an odd header."""
    try:
        entries = json.loads(headers.get(RETRY_HISTORY, b"[]"))
    except ValueError:
        return ()
    if not isinstance(entries, list):
        return ()
    return tuple(
        {
            "attempt": e.get("attempt"),
            "atMs": e.get("at_ms"),
            "code": e.get("code"),
            "error": e.get("error"),
        }
        for e in entries
        if isinstance(e, dict)
    )


def origin_header(
    headers: Mapping[str, bytes], position: Position | None
) -> list[tuple[str, bytes]]:
    """The ``origin_ref`` header a retry, held or DLQ copy of a record should carry.

    Empty when the record carries one already (it is itself a copy) or its position is unknown.
    """
    if ORIGIN_REF in headers or position is None:
        return []
    return [(ORIGIN_REF, position.ref.encode())]


_INSERT: Final = (
    "INSERT INTO message_journey (tenant_id, direction, message_id, step, correlation_id, "
    "topic, kafka_partition, kafka_offset, attempt, detail) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)"
)


def step(
    tenant_id: str,
    direction: Direction,
    message_id: str,
    kind: Step,
    mark: Mark | None,
    detail: Mapping[str, Any] | None = None,
) -> Statement:
    """One journey row, to run in the caller's tenant transaction (``run_together``)."""
    where = mark.position if mark is not None else None
    facts = {**(mark.facts() if mark is not None else {}), **(detail or {})}
    return Statement(
        _INSERT,
        (
            tenant_id,
            direction,
            message_id[:_MAX_ID],
            kind,
            mark.correlation_id if mark is not None else None,
            where.topic if where else None,
            where.partition if where else None,
            where.offset if where else None,
            mark.attempt if mark is not None else None,
            json.dumps(facts, separators=(",", ":"), default=str),
        ),
    )


async def record_step(
    pool: asyncpg.Pool,
    tenant_id: str,
    direction: Direction,
    message_id: str,
    kind: Step,
    mark: Mark | None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """One journey row in a transaction of its own (failures, operators' actions)."""
    async with tenant_tx(pool, tenant_id) as conn:
        await step(tenant_id, direction, message_id, kind, mark, detail).run(conn)
