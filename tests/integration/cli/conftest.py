"""Running ``wagen`` in-process against the real stack, and putting known records on Kafka.

The CLI runs ``asyncio.run`` itself, so it is invoked from a worker thread: the test's own
event loop stays free to publish and to read meanwhile.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from click.testing import CliRunner, Result

from pipeline.cli import cli
from pipeline.settings import WagenSettings


async def wagen(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    """``wagen ARGS`` in-process, with ``env`` on top of the test's environment."""
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke, cli, list(args), input=stdin, env=env, catch_exceptions=False
    )


def json_lines(result: Result) -> list[dict[str, Any]]:
    """The JSON objects a ``--json`` run printed, one per line (it must have succeeded)."""
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
async def producer(settings: WagenSettings) -> AsyncIterator[AIOKafkaProducer]:
    """An idempotent, acks=all producer like wagen's own."""
    client = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.servers, acks="all", enable_idempotence=True
    )
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


async def send(
    producer: AIOKafkaProducer,
    topic: str,
    tenant: str,
    values: Sequence[bytes],
    *,
    key: bytes | None = None,
    partition: int | None = None,
    headers: Sequence[tuple[str, bytes]] = (),
) -> list[tuple[int, int]]:
    """Publish ``values`` for ``tenant`` (tenant_id header); their (partition, offset)s."""
    placed = []
    for value in values:
        meta = await producer.send_and_wait(
            topic,
            value,
            key=key if key is not None else tenant.encode(),
            partition=partition,
            headers=[("tenant_id", tenant.encode()), *headers],
        )
        placed.append((meta.partition, meta.offset))
    return placed


async def commit(settings: WagenSettings, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Commit ``offsets`` for ``group``, a group with no member, as a stopped worker leaves it."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka.servers, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()
