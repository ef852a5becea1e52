"""``wagen topics list|describe`` show what the broker really has; Kafka down is exit 1."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from pipeline.kafka.topics import TOPICS, WA_WEBHOOKS_QUARANTINE
from pipeline.settings import WagenSettings
from tests.conftest import free_port
from tests.integration.cli.conftest import json_lines, send, wagen


async def test_list_and_describe_show_live_facts(
    settings: WagenSettings, producer: AIOKafkaProducer, unique_name: str
) -> None:
    topic = WA_WEBHOOKS_QUARANTINE  # never consumed: nothing but tests writes to it
    [before] = json_lines(await wagen({}, "topics", "describe", topic, "--json"))
    placed = await send(producer, topic, unique_name, [b'{"n": 1}'] * 3, partition=0)
    [(_, first), *_, (_, last)] = placed

    rows = json_lines(await wagen({}, "topics", "list", "--json"))
    assert [r["name"] for r in rows] == [s.name for s in TOPICS]
    for row, spec in zip(rows, TOPICS, strict=True):
        assert row["exists"] is True
        assert row["partitions"] >= 1
        assert row["replication_factor"] == settings.kafka.replication_factor
        assert row["retention_ms"] == spec.retention.total_seconds() * 1000
        assert row["retention_ms"] == row["declared_retention_ms"]
        assert row["cleanup_policy"] == "delete"
        assert row["drift"] is False
        assert row["size_bytes"] >= 0
        assert row["end_offset_sum"] >= row["records"] >= 0
        assert row["key"] == spec.key

    [after] = json_lines(await wagen({}, "topics", "describe", topic, "--json"))
    assert len(after["partition_detail"]) == after["partitions"]
    p0_before, p0_after = before["partition_detail"][0], after["partition_detail"][0]
    assert p0_after["partition"] == 0
    assert p0_before["end_offset"] <= first
    assert p0_after["end_offset"] >= last + 1
    assert p0_after["size_bytes"] > p0_before["size_bytes"]
    assert p0_after["leader"] in p0_after["replicas"]
    assert p0_after["records"] == p0_after["end_offset"] - p0_after["earliest_offset"]
    assert after["end_offset_sum"] == sum(p["end_offset"] for p in after["partition_detail"])

    table = await wagen({}, "topics", "list")
    assert table.exit_code == 0
    assert all(spec.name in table.stdout for spec in TOPICS)
    detail = await wagen({}, "topics", "describe", topic)
    assert detail.exit_code == 0
    assert "leader" in detail.stdout


async def test_kafka_unreachable_is_one_error_line_and_exit_1() -> None:
    result = await wagen(
        {"WAGEN_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"}, "topics", "list", "--json"
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: Kafka at 127.0.0.1:")
    assert "KafkaConnectionError" in line
