"""The durability findings of ``wagen topics ensure``: what a cluster and settings promise."""

from __future__ import annotations

import pytest

from pipeline.kafka.durability import ClusterFacts, judge
from pipeline.settings import KafkaSettings

CLUSTER = ClusterFacts(brokers=3, session_timeout_ms=3000, unclean_leader_election=False)


def _warnings(facts: ClusterFacts, rf: int, isr: int, publish_s: float = 5.0) -> list[str]:
    kafka = KafkaSettings(replication_factor=rf, min_insync_replicas=isr)
    return [f.message for f in judge(facts, kafka, publish_s) if f.level == "warning"]


def test_three_brokers_two_of_three_is_the_one_clean_answer() -> None:
    kafka = KafkaSettings(replication_factor=3, min_insync_replicas=2)
    [finding] = judge(CLUSTER, kafka, 5.0)
    assert finding.level == "ok"
    assert "2 of 3 replicas" in finding.message
    assert "1 broker(s) down" in finding.message


def test_a_single_dev_broker_is_noted_not_warned() -> None:
    single = ClusterFacts(brokers=1, session_timeout_ms=9000, unclean_leader_election=False)
    [finding] = judge(single, KafkaSettings(), 5.0)
    assert finding.level == "ok"
    assert "no broker may fail" in finding.message


@pytest.mark.parametrize(
    ("facts", "rf", "isr", "says"),
    [
        (CLUSTER, 3, 1, "a 200 may rest on one broker"),
        (CLUSTER, 3, 3, "one broker down stops every write"),
        (ClusterFacts(2, 3000, False), 3, 2, "2 broker(s) for a replication factor of 3"),
        (ClusterFacts(3, 3000, True), 3, 2, "may become leader and drop acknowledged"),
        # Kafka's default session timeout (9 s) outlasts the gateway's 5 s wait.
        (ClusterFacts(3, 9000, False), 3, 2, "answer 503 until then"),
    ],
)
def test_each_broken_promise_is_a_warning(
    facts: ClusterFacts, rf: int, isr: int, says: str
) -> None:
    [warning] = _warnings(facts, rf, isr)
    assert says in warning


def test_settings_refuse_more_in_sync_replicas_than_replicas() -> None:
    with pytest.raises(ValueError, match="refuse every write"):
        KafkaSettings(replication_factor=2, min_insync_replicas=3)
