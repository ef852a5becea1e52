"""Agent: one raw Meta webhook (``wa.webhooks``) → one event per message, status and error.

Events go to ``wa.events`` keyed ``tenant:customer`` so each conversation keeps its order.
A body that cannot be parsed goes to ``wa.webhooks.dlq`` with the offending field named;
it was already acknowledged to Meta, so dropping it would lose it. One bad item (a message
with a bad timestamp...) goes there alone, in a body of its own (``dlq_item_path`` says
where it was), while its siblings go on; a replay of that entry re-splits just the item.
No record can stop the agent: whatever fails while splitting it, expected or not, sends
the record to the DLQ with the reason.

Faust publishes what an agent sends while handling a record before it commits that
record's offset, so a crash replays the webhook rather than losing events; the events'
deterministic ids let the next agent drop the resulting duplicates.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import faust

from connectors.meta.payload import MetaPayloadError
from connectors.meta.webhook import RejectedItem, split_body
from pipeline.kafka.retry import now_ms
from pipeline.metrics import record as metrics
from pipeline.store import journey
from pipeline.telemetry.correlation import LogContext, bound
from pipeline.worker.records import RecordContext, dlq_headers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """A record to publish: where, with which key, value and headers."""

    destination: Literal["events", "dlq"]
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass(frozen=True)
class Routed:
    """What one raw webhook record becomes: records to publish, and notes for the log."""

    records: list[Outgoing]
    notes: list[str] = field(default_factory=list)


ITEM_PATH = "dlq_item_path"
"""DLQ header: where a dead-lettered item was in its original body."""


def _dead(
    value: bytes, headers: Mapping[str, bytes], source_topic: str, code: str, error: str
) -> Outgoing:
    return Outgoing(
        "dlq",
        key=headers.get("tenant_id", b""),
        value=value,
        headers=dlq_headers(headers, source_topic=source_topic, error_code=code, error=error),
    )


def _dead_item(
    item: RejectedItem, tenant_id: str, headers: Mapping[str, bytes], source_topic: str
) -> Outgoing:
    error = item.error(tenant_id)
    out = _dead(json.dumps(item.body).encode(), headers, source_topic, error.code, str(error))
    return replace(out, headers=[*out.headers, (ITEM_PATH, item.path.encode())])


def route_webhook(
    value: bytes,
    headers: Mapping[str, bytes],
    source_topic: str,
    position: journey.Position | None = None,
) -> Routed:
    """What to publish for one raw webhook record (pure but for the clock: no I/O); never
    raises. ``position``: where the webhook record sits, named on each event for its journey.
    """
    try:
        context = RecordContext.from_headers(headers)
    except ValueError as exc:
        return Routed([_dead(value, headers, source_topic, "bad_record", str(exc))])
    try:
        split = split_body(value, context.tenant_id, context.received_at)
        way = {journey.SPLIT_AT_MS: str(now_ms())}
        if position is not None:
            way[journey.WEBHOOK_REF] = position.ref
        records = [
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
            for event in split.events
        ]
    except MetaPayloadError as exc:
        return Routed([_dead(value, headers, source_topic, exc.code, str(exc))])
    except Exception as exc:  # a case nobody foresaw must still not stop the partition
        reason = f"{type(exc).__name__}: {exc}"
        return Routed([_dead(value, headers, source_topic, "split_failed", reason)])
    records += [_dead_item(i, context.tenant_id, headers, source_topic) for i in split.rejected]
    notes = [
        f"{path}: a lone UTF-16 surrogate or NUL replaced by U+FFFD" for path in split.repaired
    ]
    notes += [f"{item.path}: ignored: {item.reason}" for item in split.ignored]
    return Routed(records, notes)


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
                routed = route_webhook(value, headers, source_name, position)
                for note in routed.notes:
                    log.info("webhook split: %s", note)
                for out in routed.records:
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
        reason = headers["dlq_error"].decode(errors="replace")
        log.warning(
            "webhook dead-lettered: %s", reason, extra={"code": headers["dlq_error_code"].decode()}
        )
        return
    facts = LogContext.from_headers(headers)
    with bound(replace(facts, conversation=out.key.decode(errors="replace"))):
        log.debug("event split", extra={"kind": headers["kind"].decode()})
