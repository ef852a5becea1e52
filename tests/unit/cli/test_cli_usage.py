"""Times, topic summaries, log-dir answers, and the usage errors caught before any I/O."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaStorageError
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.cli.common import parse_time
from pipeline.kafka.admin import PartitionFacts, TopicFacts
from pipeline.kafka.log_dirs import sizes_from_response

NOW = 1_800_000_000_000


def test_times_are_durations_before_now_or_zoned_iso() -> None:
    assert parse_time("10m", now=NOW) == NOW - 600_000
    assert parse_time("2h", now=NOW) == NOW - 7_200_000
    assert parse_time("1d", now=NOW) == NOW - 86_400_000
    assert parse_time("30s", now=NOW) == NOW - 30_000
    assert parse_time("2026-01-02T03:04:05+00:00", now=NOW) == 1_767_323_045_000
    with pytest.raises(ValueError, match="time zone"):
        parse_time("2026-01-02T03:04:05", now=NOW)
    with pytest.raises(ValueError, match="duration"):
        parse_time("yesterday", now=NOW)


def test_a_topic_summary_adds_up_its_partitions() -> None:
    facts = TopicFacts(
        "wa.events",
        True,
        (
            PartitionFacts(0, 1, (1, 2), (1, 2), 5, 15, 1000),
            PartitionFacts(1, 2, (2, 1), (2,), 0, 7, 24),
        ),
        {"retention.ms": "604800000", "cleanup.policy": "delete", "min.insync.replicas": "2"},
    )
    assert facts.summary() == {
        "name": "wa.events",
        "exists": True,
        "partitions": 2,
        "replication_factor": 2,
        "retention_ms": 604_800_000,
        "cleanup_policy": "delete",
        "min_insync_replicas": 2,
        "size_bytes": 1024,
        "end_offset_sum": 22,
        "records": 17,
    }
    assert facts.partitions[1].as_json()["records"] == 7
    missing = TopicFacts("wa.events.held", False, (), {}).summary()
    assert (missing["exists"], missing["partitions"], missing["size_bytes"]) == (False, 0, 0)


def test_log_dir_sizes_leave_future_replicas_out_and_raise_disk_errors() -> None:
    answer = [
        (0, "/data/a", [("wa.events", [(0, 100, 0, False), (1, 50, 0, False)])]),
        (0, "/data/b", [("wa.events", [(0, 90, 0, True)])]),  # being moved here: not counted
    ]
    assert sizes_from_response(answer) == {("wa.events", 0): 100, ("wa.events", 1): 50}
    with pytest.raises(KafkaStorageError):
        sizes_from_response([(56, "/data/c", [])])


@pytest.mark.parametrize(
    "args",
    [
        ["tail", "wa.events", "--from-beginning", "--since", "10m"],
        ["tail", "no.such.topic"],
        ["tail", "wa.events", "--since", "soon"],
        ["replay", "--tenant", "t1", "--since", "1h", "--until", "2h"],
        ["replay", "--tenant", "t1"],
        ["replay", "--tenant", "t1", "--since", "1h", "--topic", "wa.events"],
        ["dlq", "purge", "--since", "2026-01-01T00:00:00"],
        ["dlq", "list", "--id", "wa.events.dlq:0"],
        ["dlq", "show", "wa.events.dlq:zero:1"],
        ["topics", "describe", "no.such.topic"],
    ],
)
def test_bad_usage_exits_2_before_touching_kafka(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens here: reaching Kafka would fail with 1, not 2.
    monkeypatch.setenv("WAGEN_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
