"""``wagen tail``: which records to read off a topic, and how to show one to a person.

Records are decoded once into a JSON-ready dict (``--json`` prints exactly that); the text
view is built from the same facts, with long values cut so one record cannot flood a
terminal.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any, Literal

from aiokafka import TopicPartition

from pipeline.errors import PipelineError
from pipeline.kafka.admin import offset_bounds, offsets_at, plain_consumer, topic_partitions
from pipeline.kafka.read import KafkaRecord, Range, read_ranges

Start = Literal["beginning", "end"] | int  # an int is epoch milliseconds
_HEADER_CHARS = 200


class TopicMissingError(PipelineError):
    """The topic is not on the broker."""

    code = "topic_missing"


def decode_value(value: bytes | None) -> tuple[str, Any]:
    """(format, value): ``json`` parsed, ``text``, ``base64`` for binary, or ``null``."""
    if value is None:
        return "null", None
    try:
        text = value.decode()
    except UnicodeDecodeError:
        return "base64", base64.b64encode(value).decode()
    try:
        return "json", json.loads(text)
    except ValueError:
        return "text", text


def iso_time(millis: int) -> str:
    """Epoch milliseconds as ISO-8601 UTC with milliseconds."""
    moment = datetime.fromtimestamp(millis / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_json(record: KafkaRecord) -> dict[str, Any]:
    """The whole record, decoded: what ``--json`` prints, one line each."""
    value_format, value = decode_value(record.value)
    return {
        "ref": record.ref,
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp_ms": record.timestamp_ms,
        "timestamp": iso_time(record.timestamp_ms),
        "key": None if record.key is None else record.key.decode(errors="replace"),
        "tenant_id": record.tenant_id,
        "headers": {k: v.decode(errors="replace") for k, v in record.header_map.items()},
        "value_format": value_format,
        "value": value,
    }


def cut(text: str, limit: int) -> str:
    """``text`` up to ``limit`` characters, saying how much was left out (0: no limit)."""
    if limit <= 0 or len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def headline(row: dict[str, Any]) -> str:
    """Where the record is, when it was written, its key."""
    return f"{row['ref']}  {row['timestamp']}  key={row['key']}"


def header_text(row: dict[str, Any]) -> str:
    """Headers as ``name=value`` pairs, long values cut."""
    return "  ".join(f"{k}={cut(v, _HEADER_CHARS)}" for k, v in row["headers"].items())


def value_text(row: dict[str, Any], limit: int) -> str:
    """The value: JSON indented, anything else as is, cut at ``limit`` characters."""
    if row["value_format"] == "json":
        return cut(json.dumps(row["value"], indent=2, ensure_ascii=False), limit)
    if row["value_format"] == "null":
        return "(no value)"
    return cut(f"({row['value_format']}) {row['value']}", limit)


async def tail_records(
    servers: list[str],
    topic: str,
    *,
    start: Start,
    follow: bool,
    tenant: str | None = None,
    limit: int | None = None,
) -> AsyncGenerator[KafkaRecord, None]:
    """Records of ``topic`` from ``start``: up to the end as it is now, or on (``follow``).

    ``tenant`` keeps that tenant's records (see ``tenant_of``); ``limit`` stops after that
    many records kept.
    """
    partitions = await topic_partitions(servers, [topic])
    if not partitions:
        raise TopicMissingError(f"topic {topic} does not exist (run `wagen topics ensure`)")
    async with plain_consumer(servers) as consumer:
        earliest, ends = await offset_bounds(consumer, partitions)
        if start == "end":
            starts = ends
        elif start == "beginning":
            starts = earliest
        else:
            starts = await offsets_at(consumer, partitions, start, ends)
        ranges: dict[TopicPartition, Range] = {
            tp: (starts[tp], None if follow else ends[tp]) for tp in partitions
        }
        kept = 0
        async for record in read_ranges(consumer, ranges):
            if tenant is not None and record.tenant_id != tenant:
                continue
            yield record
            kept += 1
            if limit is not None and kept >= limit:
                return
