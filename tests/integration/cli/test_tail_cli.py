"""``wagen tail``: exactly a tenant's records, from the beginning, since a time, or following."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from pipeline.kafka.topics import WA_EVENTS
from tests.integration.cli.conftest import json_lines, send, wagen


async def _publish(producer: AIOKafkaProducer, tenant: str, count: int) -> set[str]:
    refs = set()
    for n in range(count):
        value = json.dumps({"tenant_id": tenant, "n": n}).encode()
        key = f"{tenant}:1555000000{n}".encode()
        [(partition, offset)] = await send(producer, WA_EVENTS, tenant, [value], key=key)
        refs.add(f"{WA_EVENTS}:{partition}:{offset}")
    return refs


async def test_a_tenants_records_from_the_beginning_or_since_a_time(
    producer: AIOKafkaProducer, unique_name: str
) -> None:
    tenant = unique_name.replace("test-", "t")
    since = (datetime.now(UTC) - timedelta(seconds=2)).isoformat()
    refs = await _publish(producer, tenant, 4)
    await _publish(producer, tenant + "x", 2)  # a tenant whose id starts the same

    args = ("tail", WA_EVENTS, "--tenant", tenant, "--json")
    rows = json_lines(await wagen({}, *args, "--from-beginning", "--limit", "4"))
    assert {r["ref"] for r in rows} == refs
    assert sorted(r["value"]["n"] for r in rows) == [0, 1, 2, 3]
    row = rows[0]
    assert row["tenant_id"] == tenant
    assert row["headers"] == {"tenant_id": tenant}
    assert row["key"] == f"{tenant}:1555000000{row['value']['n']}"
    assert row["value_format"] == "json"
    assert row["timestamp"].endswith("Z")

    # Bounded without --limit: up to the end as it was, then it stops.
    rows = json_lines(await wagen({}, *args, "--since", since))
    assert {r["ref"] for r in rows} == refs
    assert len(json_lines(await wagen({}, *args, "--from-beginning", "--limit", "2"))) == 2

    text = await wagen({}, "tail", WA_EVENTS, "--tenant", tenant, "--since", since)
    assert text.exit_code == 0, text.output
    assert all(ref in text.stdout for ref in refs)
    assert f"tenant_id={tenant}" in text.stdout
    assert '"n": 3' in text.stdout


async def test_follow_prints_new_records_until_the_limit(
    producer: AIOKafkaProducer, unique_name: str
) -> None:
    tenant = unique_name.replace("test-", "t")
    tail = asyncio.create_task(
        wagen({}, "tail", WA_EVENTS, "--tenant", tenant, "--limit", "2", "--json")
    )
    # When the tail has found the end of the topic is not observable: publish until it has
    # seen two records.
    published: set[str] = set()
    async with asyncio.timeout(60):
        while not tail.done():
            published |= await _publish(producer, tenant, 1)
            await asyncio.wait([tail], timeout=0.5)
    rows = json_lines(tail.result())
    assert len(rows) == 2
    assert {r["ref"] for r in rows} <= published
    assert {r["tenant_id"] for r in rows} == {tenant}
