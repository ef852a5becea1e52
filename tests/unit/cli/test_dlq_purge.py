"""DLQ filters, marks and the purge plan: what is hidden, what Kafka really deletes."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.ops.dlq import DlqEntry, Marks, matches, parse_ref
from pipeline.ops.dlq_purge import deletable_prefixes, plan_purge

TOPIC = "wa.events.dlq"


def _entry(partition: int, offset: int, tenant: str, dead_at_ms: int = 1000) -> DlqEntry:
    headers = {"dlq_at_ms": str(dead_at_ms).encode()}
    if tenant:
        headers["tenant_id"] = tenant.encode()
    return DlqEntry(TOPIC, partition, offset, b"k", b"{}", headers)


def test_filters_by_tenant_time_and_id() -> None:
    entry = _entry(0, 5, "t1", dead_at_ms=2000)
    assert matches(entry, tenant=None, since_ms=None)
    assert matches(entry, tenant="t1", since_ms=2000, refs=[f"{TOPIC}:0:5"])
    assert not matches(entry, tenant="t2", since_ms=None)
    assert not matches(entry, tenant=None, since_ms=2001)
    assert not matches(entry, tenant=None, since_ms=None, refs=[f"{TOPIC}:0:6"])


def test_marks_say_dead_replayed_or_purged() -> None:
    a, b, c = _entry(0, 0, "t1"), _entry(0, 1, "t1"), _entry(0, 2, "t1")
    marks = Marks(Counter({b.ref: 2, c.ref: 1}), frozenset({c.ref}))
    assert [marks.status(e) for e in (a, b, c)] == ["dead", "replayed", "purged"]


def test_only_the_purgeable_head_of_each_partition_is_deletable() -> None:
    entries = [
        _entry(0, 3, "t1"), _entry(0, 4, "t1"), _entry(0, 5, "t2"), _entry(0, 6, "t1"),
        _entry(1, 0, "t2"), _entry(1, 1, "t1"),
        _entry(2, 7, "t1"),
    ]  # fmt: skip
    purgeable = frozenset(e.ref for e in entries if e.tenant_id == "t1")
    assert deletable_prefixes(entries, purgeable) == {0: 5, 2: 8}


def test_a_plan_counts_earlier_purges_in_the_head_and_skips_them_in_the_work() -> None:
    old, mine, theirs, later = (
        _entry(0, 0, "t2"),
        _entry(0, 1, "t1"),
        _entry(0, 2, "t2"),
        _entry(0, 3, "t1"),
    )
    no_tenant = _entry(1, 0, "")
    every = [old, mine, theirs, later, no_tenant]
    marks = Marks(purged=frozenset({old.ref}))
    plan = plan_purge(TOPIC, every, [old, mine, later], marks)
    assert plan.entries == (mine, later)  # ``old`` was purged before
    assert plan.cuts == {0: 2}  # old and mine go; ``theirs`` stops the cut
    assert plan.deleted_count == 1
    assert plan.outcome(mine) == "purged: deleted from Kafka"
    assert plan.outcome(later).startswith("purged: hidden")

    everything = plan_purge(TOPIC, every, every, Marks())
    assert everything.cuts == {0: 4, 1: 1}
    assert everything.deleted_count == len(every)

    stranded = plan_purge(
        TOPIC, [_entry(1, 0, "t1"), no_tenant := _entry(1, 1, "")], [no_tenant], Marks()
    )
    assert stranded.outcome(no_tenant).startswith("skipped: no tenant")


def test_refs_name_topic_partition_and_offset() -> None:
    assert parse_ref("wa.events.dlq:3:41") == ("wa.events.dlq", 3, 41)
    for bad in ("wa.events.dlq:3", "wa.events.dlq:x:1", ":1:2", "wa.events.dlq:1:-2"):
        with pytest.raises(ValueError, match="topic:partition:offset"):
            parse_ref(bad)
