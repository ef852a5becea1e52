"""``wagen dlq list|show|replay|purge`` against the real broker and database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import SecretStr

from pipeline.kafka.admin import offset_bounds, plain_consumer
from pipeline.kafka.topics import WA_EVENTS, dlq_topic
from pipeline.ops.dlq import read_marks, read_topic
from pipeline.ops.dlq_purge import execute_purge, plan_purge
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.db.pool import postgres_pool
from tenancy.settings import PostgresSettings
from tests.integration.cli.conftest import json_lines, send, wagen
from tests.integration.kafka_tail import TopicTail

DLQ = dlq_topic(WA_EVENTS)


def _dead(code: str = "genesys_server_error") -> list[tuple[str, bytes]]:
    return [
        ("request_id", b"req-9"),
        ("attempt", b"6"),
        ("retry_history", b"[]"),
        ("dlq_source_topic", WA_EVENTS.encode()),
        ("dlq_error_code", code.encode()),
        ("dlq_error", b"500 forever"),
        ("dlq_at_ms", b"1700000000000"),
    ]


async def _dead_letter(
    producer: AIOKafkaProducer, tenant: str, count: int, topic: str = DLQ, partition: int = 0
) -> list[str]:
    placed = await send(
        producer,
        topic,
        tenant,
        [json.dumps({"event": n}).encode() for n in range(count)],
        key=f"{tenant}:15551234567".encode(),
        partition=partition,
        headers=_dead(),
    )
    return [f"{topic}:{p}:{o}" for p, o in placed]


async def test_list_show_then_replay_once_then_force(
    settings: WagenSettings,
    producer: AIOKafkaProducer,
    migrated_database: str,
    unique_name: str,
) -> None:
    tenant = unique_name.replace("test-", "t")
    env = {"WAGEN_POSTGRES_DSN": migrated_database}
    [ref] = await _dead_letter(producer, tenant, 1)
    args = ("--topic", WA_EVENTS, "--tenant", tenant, "--json")

    [listed] = json_lines(await wagen(env, "dlq", "list", *args))
    assert listed["ref"] == ref
    assert (listed["error_code"], listed["status"], listed["replays"]) == (
        "genesys_server_error", "dead", 0,
    )  # fmt: skip
    assert listed["source_topic"] == WA_EVENTS
    shown = await wagen(env, "dlq", "show", "--topic", WA_EVENTS, ref)
    assert json.loads(shown.stdout)["value"] == '{"event": 0}'

    async with TopicTail(settings, WA_EVENTS) as events:
        [first] = json_lines(await wagen(env, "dlq", "replay", *args))
        assert first == {"ref": ref, "outcome": f"replayed to {WA_EVENTS}"}
        [(value, headers)] = await events.records_for(f"{tenant}:15551234567".encode(), 1)
    assert value == b'{"event": 0}'
    assert headers["request_id"] == b"req-9"
    assert headers["replayed_from"] == ref.encode()
    assert not any(k.startswith("dlq_") for k in headers)
    assert "attempt" not in headers
    assert "retry_history" not in headers

    [again] = json_lines(await wagen(env, "dlq", "replay", *args))
    assert again["outcome"] == "skipped: replayed before (use --force)"
    [forced] = json_lines(await wagen(env, "dlq", "replay", *args, "--force"))
    assert forced["outcome"] == f"replayed to {WA_EVENTS}"
    # (Only by id: a worker of a test running at the same time may read the replayed event
    # and dead-letter it again, as a tenant unknown to its database.)
    [status] = json_lines(await wagen(env, "dlq", "list", *args, "--id", ref))
    assert (status["status"], status["replays"]) == ("replayed", 2)
    assert (
        json_lines(
            await wagen(env, "dlq", "list", "--topic", WA_EVENTS, "--tenant", "nobody", "--json")
        )
        == []
    )


async def test_purge_by_id_then_tenant_hides_exactly_those_entries(
    settings: WagenSettings,
    producer: AIOKafkaProducer,
    migrated_database: str,
    unique_name: str,
) -> None:
    tenant, other = unique_name.replace("test-", "t"), unique_name.replace("test-", "o")
    env = {"WAGEN_POSTGRES_DSN": migrated_database}
    refs = await _dead_letter(producer, tenant, 3)
    [theirs] = await _dead_letter(producer, other, 1)
    mine = ("--topic", WA_EVENTS, "--tenant", tenant, "--json")

    assert [r["ref"] for r in json_lines(await wagen(env, "dlq", "list", *mine))] == refs
    [one] = json_lines(await wagen(env, "dlq", "list", *mine, "--id", refs[1]))
    assert one["ref"] == refs[1]

    declined = await wagen(env, "dlq", "purge", *mine, stdin="n\n")
    assert declined.exit_code == 1
    assert "Purge 3 the selected entries" in declined.output
    assert len(json_lines(await wagen(env, "dlq", "list", *mine))) == 3

    [purged] = json_lines(await wagen(env, "dlq", "purge", *mine, "--id", refs[0], "--yes"))
    assert purged["ref"] == refs[0]
    assert purged["outcome"].startswith("purged: ")
    assert [r["ref"] for r in json_lines(await wagen(env, "dlq", "list", *mine))] == refs[1:]
    every = json_lines(await wagen(env, "dlq", "list", *mine, "--all"))
    assert [(r["ref"], r["status"]) for r in every if r["ref"] == refs[0]] in (
        [(refs[0], "purged")],
        [],  # it was at the head of the partition (a fresh broker): deleted from Kafka
    )
    replayed = json_lines(await wagen(env, "dlq", "replay", *mine, "--id", refs[0]))
    if purged["outcome"] == "purged: deleted from Kafka":
        assert replayed == []  # not even read any more
    else:
        assert replayed == [{"ref": refs[0], "outcome": "skipped: purged"}]

    rest = json_lines(await wagen(env, "dlq", "purge", *mine, "--yes"))
    assert [r["ref"] for r in rest] == refs[1:]
    assert json_lines(await wagen(env, "dlq", "list", *mine)) == []
    other_args = ("--topic", WA_EVENTS, "--tenant", other, "--json")
    assert [r["ref"] for r in json_lines(await wagen(env, "dlq", "list", *other_args))] == [theirs]
    conn = await asyncpg.connect(migrated_database)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('wagen.tenant_id', $1, true)", tenant)
            marked = await conn.fetch(
                "SELECT target, actor FROM audit_log WHERE action = 'dlq.purge' ORDER BY target"
            )
    finally:
        await conn.close()
    assert sorted(r["target"] for r in marked) == sorted(refs)
    assert all(r["actor"].startswith("cli:") for r in marked)


@pytest.fixture
async def private_dlq(settings: WagenSettings, unique_name: str) -> AsyncIterator[str]:
    """A two-partition DLQ-shaped topic no other test touches."""
    topic = f"{unique_name}.dlq"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
        yield topic
    finally:
        await admin.delete_topics([topic])
        await admin.close()


async def _earliest(settings: WagenSettings, topic: str) -> list[int]:
    partitions = [TopicPartition(topic, p) for p in (0, 1)]
    async with plain_consumer(settings.kafka.servers) as consumer:
        earliest, _ = await offset_bounds(consumer, partitions)
    return [earliest[tp] for tp in partitions]


async def test_purge_deletes_whole_purged_heads_from_kafka(
    settings: WagenSettings,
    producer: AIOKafkaProducer,
    migrated_database: str,
    private_dlq: str,
) -> None:
    servers = settings.kafka.servers
    p0 = [
        *await _dead_letter(producer, "t1", 2, private_dlq, 0),
        *await _dead_letter(producer, "t2", 1, private_dlq, 0),
        *await _dead_letter(producer, "t1", 1, private_dlq, 0),
    ]
    p1 = await _dead_letter(producer, "t1", 1, private_dlq, 1)
    actor = Actor(label="test")
    async with postgres_pool(PostgresSettings(dsn=SecretStr(migrated_database))) as pool:

        async def purge(tenant: str) -> dict[str, str]:
            every = [e async for e in read_topic(servers, private_dlq)]
            chosen = [e for e in every if e.tenant_id == tenant]
            plan = plan_purge(private_dlq, every, chosen, await read_marks(pool, every))
            return {
                e.ref: outcome for e, outcome in await execute_purge(servers, pool, plan, actor)
            }

        assert await purge("t1") == {
            p0[0]: "purged: deleted from Kafka",
            p0[1]: "purged: deleted from Kafka",
            p0[3]: "purged: hidden from list and replay (Kafka keeps it until retention)",
            p1[0]: "purged: deleted from Kafka",
        }
        assert await _earliest(settings, private_dlq) == [2, 1]
        left = [e async for e in read_topic(servers, private_dlq)]
        assert [e.ref for e in left] == [p0[2], p0[3]]
        assert (await read_marks(pool, left)).purged == {p0[3]}

        # t2's entry was all that kept t1's last one in Kafka: now the partition empties.
        assert await purge("t2") == {p0[2]: "purged: deleted from Kafka"}
        assert await _earliest(settings, private_dlq) == [4, 1]
        assert [e async for e in read_topic(servers, private_dlq)] == []
