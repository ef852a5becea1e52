"""``wagen lag``: groups committed at known offsets show exactly the lag they should."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pipeline.kafka.topics import WA_WEBHOOKS_QUARANTINE
from pipeline.ops.lag import measure_lag
from pipeline.settings import WagenSettings
from tests.integration.cli.conftest import commit, json_lines, send, wagen

TOPIC = WA_WEBHOOKS_QUARANTINE  # never consumed by a worker


async def test_lag_per_group_and_per_tenant(
    settings: WagenSettings, producer: AIOKafkaProducer, unique_name: str
) -> None:
    tenant, other = unique_name.replace("test-", "t"), unique_name.replace("test-", "o")
    order = [tenant, other, tenant, other, tenant, other, tenant, tenant]
    offsets = []
    for owner in order:
        [(_, offset)] = await send(producer, TOPIC, owner, [b"{}"], partition=0)
        offsets.append(offset)
    tp = TopicPartition(TOPIC, 0)
    late, early = f"{unique_name}-late", f"{unique_name}-early"
    await commit(settings, late, {tp: offsets[4]})  # the tenant's 3rd record is not done yet
    await commit(settings, early, {tp: offsets[0]})

    [found] = json_lines(await wagen({}, "lag", "--group", late, "--json"))
    [row] = found["partitions"]
    assert (found["group"], found["tenant"]) == (late, None)
    assert (row["topic"], row["partition"], row["committed"]) == (TOPIC, 0, offsets[4])
    assert row["end"] >= offsets[-1] + 1
    assert row["lag"] == row["end"] - offsets[4] == found["total"]

    both = json_lines(
        await wagen({}, "lag", "--group", late, "--group", early, "--tenant", tenant, "--json")
    )
    assert {g["group"]: g["total"] for g in both} == {late: 3, early: 5}
    assert {g["tenant"] for g in both} == {tenant}
    [theirs] = json_lines(await wagen({}, "lag", "--group", late, "--tenant", other, "--json"))
    assert theirs["total"] == 1

    everyone = json_lines(await wagen({}, "lag", "--json"))
    assert {late, early} <= {g["group"] for g in everyone}

    table = await wagen({}, "lag", "--group", late, "--tenant", tenant)
    assert table.exit_code == 0
    assert late in table.stdout
    assert f"tenant {tenant}" in table.stdout

    missing = await wagen({}, "lag", "--group", f"{unique_name}-nobody")
    assert missing.exit_code == 1
    assert "has committed no offset" in missing.stderr


async def test_lag_is_exact_on_a_topic_only_this_test_writes(
    settings: WagenSettings, producer: AIOKafkaProducer, unique_name: str
) -> None:
    topic, group = f"{unique_name}.lag", f"{unique_name}-group"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
        await send(producer, topic, "t1", [b"a", b"b", b"c", b"d"], partition=0)
        await send(producer, topic, "t2", [b"e", b"f"], partition=1)
        await commit(settings, group, {TopicPartition(topic, 0): 1, TopicPartition(topic, 1): 2})
        servers = settings.kafka.servers
        [lag] = await measure_lag(servers, frozenset({topic}), groups=[group])
        assert [(p.partition, p.committed, p.end, p.lag) for p in lag.partitions] == [
            (0, 1, 4, 3),
            (1, 2, 2, 0),
        ]
        assert lag.total == 3
        [t2] = await measure_lag(servers, frozenset({topic}), groups=[group], tenant="t2")
        assert t2.total == 0
    finally:
        await admin.delete_topics([topic])
        await admin.close()
