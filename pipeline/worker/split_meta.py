"""Agent: one raw Meta webhook (``wa.webhooks``) → one event per message, status and error.

Events go to ``wa.events`` keyed ``tenant:customer`` so each conversation keeps its order.
A body that cannot be parsed goes to ``wa.webhooks.dlq`` with the offending field named;
it was already acknowledged to Meta, so dropping it would lose it.

Faust publishes what an agent sends while handling a record before it commits that
record's offset, so a crash replays the webhook rather than losing events; the events'
deterministic ids let the next agent drop the resulting duplicates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from typing import Literal

import faust

from connectors.meta.payload import MetaPayloadError
from connectors.meta.webhook import split_webhook
from pipeline.kafka.retry import now_ms
from pipeline.metrics import record as metrics
from pipeline.store import journey
from pipeline.telemetry.correlation import LogContext, bound
from pipeline.worker.records import RecordContext, dlq_headers
from schemas.events import WhatsAppEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """A record to publish: where, with which key, value and headers."""

    destination: Literal["events", "dlq"]
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def route_webhook(
    value: bytes,
    headers: Mapping[str, bytes],
    source_topic: str,
    position: journey.Position | None = None,
) -> list[Outgoing]:
    """What to publish for one raw webhook record (pure but for the clock: no I/O).

    ``position``: where the webhook record sits, named on each event for its journey.
    """
    try:
        context = RecordContext.from_headers(headers)
        events: list[WhatsAppEvent] = split_webhook(value, context.tenant_id, context.received_at)
    except (MetaPayloadError, ValueError) as exc:
        code = exc.code if isinstance(exc, MetaPayloadError) else "bad_record"
        return [
            Outgoing(
                "dlq",
                key=headers.get("tenant_id", b""),
                value=value,
                headers=dlq_headers(
                    headers, source_topic=source_topic, error_code=code, error=str(exc)
                ),
            )
        ]
    way = {journey.SPLIT_AT_MS: str(now_ms())}
    if position is not None:
        way[journey.WEBHOOK_REF] = position.ref
    return [
        Outgoing(
            "events",
            key=event.key.encode(),
            value=event.model_dump_json().encode(),
            headers=context.headers(
                kind=event.kind,
                event_id=str(event.event_id),
                message_id=event.message_id or "",
                **way,
            ),
        )
        for event in events
    ]


def register_split_agent(
    app: faust.App, source: faust.TopicT, events: faust.TopicT, dlq: faust.TopicT
) -> None:
    """Attach the split agent to ``app``."""
    source_name = next(iter(source.topics))
    destinations = {"events": events, "dlq": dlq}

    async def split_meta_webhooks(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for record in stream.events():
            headers = dict(record.headers or {})
            value = record.value if isinstance(record.value, bytes) else b""
            started, outcome = time.monotonic(), "split"
            message = record.message
            position = journey.Position(message.topic, message.partition, message.offset)
            with bound(LogContext.from_headers(headers)):
                for out in route_webhook(value, headers, source_name, position):
                    topic = destinations[out.destination]
                    await topic.send(key=out.key, value=out.value, headers=out.headers)
                    _log_split(out)
                    if out.destination == "dlq":
                        metrics.dead_lettered(source_name, out.headers)
                        outcome = "dlq"
            metrics.event_handled("split_meta_webhooks", headers, outcome, started)
            yield None

    app.agent(source, name="split_meta_webhooks")(split_meta_webhooks)


def _log_split(out: Outgoing) -> None:
    headers = dict(out.headers)
    if out.destination == "dlq":
        log.warning("webhook dead-lettered", extra={"code": headers["dlq_error_code"].decode()})
        return
    facts = LogContext.from_headers(headers)
    with bound(replace(facts, conversation=out.key.decode(errors="replace"))):
        log.debug("event split", extra={"kind": headers["kind"].decode()})
