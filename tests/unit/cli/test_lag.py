"""Lag arithmetic: per partition, per tenant, and the ranges one scan must cover."""

from __future__ import annotations

from aiokafka import TopicPartition

from pipeline.ops.lag import group_lag, scan_ranges

A0 = TopicPartition("wa.events", 0)
A1 = TopicPartition("wa.events", 1)
W3 = TopicPartition("wa.webhooks", 3)


def test_lag_is_end_minus_committed_with_a_total() -> None:
    lag = group_lag("g", {A1: 5, A0: 10, W3: 7}, {A0: 15, A1: 5, W3: 9})
    assert [(p.topic, p.partition, p.committed, p.end, p.lag) for p in lag.partitions] == [
        ("wa.events", 0, 10, 15, 5),
        ("wa.events", 1, 5, 5, 0),
        ("wa.webhooks", 3, 7, 9, 2),
    ]
    assert lag.total == 7
    assert lag.as_json()["total"] == 7
    assert lag.as_json()["partitions"][0] == {
        "topic": "wa.events", "partition": 0, "committed": 10, "end": 15, "lag": 5,
    }  # fmt: skip


def test_a_commit_past_the_end_read_earlier_is_no_lag() -> None:
    assert group_lag("g", {A0: 12}, {A0: 10}).total == 0


def test_tenant_lag_counts_only_the_tenants_uncommitted_records() -> None:
    # The tenant's records sit at offsets 3, 8, 9 and 14 of partition 0; none on W3.
    lag = group_lag(
        "g",
        {A0: 9, W3: 0},
        {A0: 20, W3: 50},
        tenant="t1",
        tenant_offsets={A0: [3, 8, 9, 14]},
    )
    assert [p.lag for p in lag.partitions] == [2, 0]  # 9 (not committed yet) and 14
    assert lag.total == 2
    assert lag.as_json()["tenant"] == "t1"


def test_one_scan_range_per_partition_covers_every_groups_backlog() -> None:
    ranges = scan_ranges([{A0: 10, A1: 4}, {A0: 6}], {A0: 20, A1: 4})
    assert ranges == {A0: (6, 20), A1: (4, 4)}
