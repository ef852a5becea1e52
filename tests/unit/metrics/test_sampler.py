"""Consumer lag and DLQ sizes from offsets (the Kafka reads are covered by the integration
test); the gauges are replaced as a whole on each sample."""

from __future__ import annotations

from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from pipeline.metrics.sampler import Sample, consumer_lag, publish, topic_sizes
from tests.unit.metrics.conftest import value


def test_lag_is_end_minus_committed_per_partition() -> None:
    committed = {
        TopicPartition("wa.events", 0): 10,
        TopicPartition("wa.events", 1): 7,
        TopicPartition("wa.webhooks", 0): -1,  # nothing committed yet: no lag to report
        TopicPartition("gone", 0): 3,  # no end offset known: skipped
    }
    ends = {
        TopicPartition("wa.events", 0): 15,
        TopicPartition("wa.events", 1): 7,
        TopicPartition("wa.webhooks", 0): 4,
    }
    assert consumer_lag(committed, ends) == {("wa.events", 0): 5, ("wa.events", 1): 0}


def test_a_commit_ahead_of_a_stale_end_is_no_negative_lag() -> None:
    tp = TopicPartition("wa.events", 0)
    assert consumer_lag({tp: 12}, {tp: 10}) == {("wa.events", 0): 0}


def test_dlq_size_is_end_minus_earliest_summed_over_partitions() -> None:
    ends = {
        TopicPartition("wa.events.dlq", 0): 10,
        TopicPartition("wa.events.dlq", 1): 3,
        TopicPartition("wa.webhooks.dlq", 0): 0,
    }
    # Retention deleted the first 4 records of partition 0.
    earliest = {TopicPartition("wa.events.dlq", 0): 4}
    assert topic_sizes(earliest, ends) == {"wa.events.dlq": 9, "wa.webhooks.dlq": 0}


def test_each_sample_replaces_the_last() -> None:
    publish(Sample("g-test", lag={("wa.events", 0): 5, ("wa.events", 1): 2}, dlq={"x.dlq": 3}))
    assert (
        value("wagen_consumer_lag_records", group="g-test", topic="wa.events", partition="0") == 5
    )
    assert value("wagen_dlq_records", topic="x.dlq") == 3
    assert value("wagen_kafka_sample_timestamp_seconds", group="g-test") > 0
    publish(Sample("g-test", lag={("wa.events", 1): 0}, dlq={"x.dlq": 1}))
    labels = {"group": "g-test", "topic": "wa.events"}
    assert (
        REGISTRY.get_sample_value("wagen_consumer_lag_records", {**labels, "partition": "0"})
        is None
    )
    assert value("wagen_consumer_lag_records", partition="1", **labels) == 0
    assert value("wagen_dlq_records", topic="x.dlq") == 1
