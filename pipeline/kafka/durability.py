"""Whether the cluster keeps the gateway's promise: 200 only for a webhook Kafka will not lose.

The producer (:mod:`pipeline.kafka.producer`) sends with ``acks=all`` and idempotence: a
record is acknowledged once every in-sync replica has it, and the brokers refuse it
(``NOT_ENOUGH_REPLICAS``) while fewer than ``min.insync.replicas`` are in sync, so the
gateway answers 503 rather than 200 for a body held by too few brokers. aiokafka's
idempotent producer never expires a batch: it retries a record until a leader stores it,
so the gateway's ``publish_timeout_s`` is the only bound on the answer, and a webhook
answered 503 may still be stored later (the sender's retry is then a duplicate the
pipeline's idempotency absorbs). What is checked here is what the settings cannot see: the
brokers there are, how fast a dead one is noticed, and whether a lagging replica may become
leader. ``wagen topics ensure`` prints the findings; the worker logs them at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from aiokafka.admin import AIOKafkaAdminClient

    from pipeline.settings import KafkaSettings

_SESSION_TIMEOUT = "broker.session.timeout.ms"
_UNCLEAN = "unclean.leader.election.enable"


@dataclass(frozen=True)
class ClusterFacts:
    """What the brokers say about themselves (None: the broker did not say)."""

    brokers: int
    session_timeout_ms: int | None
    unclean_leader_election: bool | None


@dataclass(frozen=True)
class Finding:
    """One conclusion; ``warning`` means a webhook can be lost or refused needlessly."""

    level: Literal["ok", "warning"]
    message: str


def judge(facts: ClusterFacts, kafka: KafkaSettings, publish_timeout_s: float) -> list[Finding]:
    """The findings for a cluster and the settings a gateway would use on it."""
    rf, isr = kafka.replication_factor, kafka.min_insync_replicas
    found: list[Finding] = []
    if facts.brokers < rf:
        found.append(
            Finding(
                "warning",
                f"{facts.brokers} broker(s) for a replication factor of {rf}: "
                "the topics cannot have their replicas",
            )
        )
    if rf == 1:
        found.append(
            Finding(
                "ok",
                f"{facts.brokers} broker(s), one replica per topic asked: no broker may fail "
                "(a development setup)",
            )
        )
        return found
    if isr == 1:
        found.append(
            Finding(
                "warning",
                f"min.insync.replicas 1 with {rf} replicas: a 200 may rest on one broker; "
                "set WAGEN_KAFKA_MIN_INSYNC_REPLICAS=2",
            )
        )
    if isr == rf:
        found.append(
            Finding(
                "warning",
                f"min.insync.replicas {isr} of {rf} replicas: one broker down stops every "
                f"write (the gateway answers 503); {rf - 1} lets writes go on",
            )
        )
    if facts.unclean_leader_election:
        found.append(
            Finding(
                "warning",
                f"{_UNCLEAN}=true: a lagging replica may become leader and drop acknowledged "
                "webhooks; set it to false",
            )
        )
    timeout = facts.session_timeout_ms
    if timeout is not None and timeout >= publish_timeout_s * 1000:
        found.append(
            Finding(
                "warning",
                f"a dead broker is noticed after {timeout / 1000:g} s ({_SESSION_TIMEOUT}), "
                f"the gateway waits {publish_timeout_s:g} s: its partitions answer 503 until "
                "then; lower the one or raise WAGEN_GATEWAY_PUBLISH_TIMEOUT_S",
            )
        )
    if not any(f.level == "warning" for f in found):
        found.append(
            Finding(
                "ok",
                f"{facts.brokers} brokers; a webhook is on {isr} of {rf} replicas before its "
                f"200; writes go on with {rf - isr} broker(s) down",
            )
        )
    return found


async def cluster_facts(admin: AIOKafkaAdminClient) -> ClusterFacts:
    """Broker count, and the failure-detection and election configs of one broker."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    cluster = await admin.describe_cluster()
    brokers = cluster["brokers"]
    if not brokers:
        return ClusterFacts(0, None, None)
    node = str(min(b["node_id"] for b in brokers))
    [response] = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.BROKER, node, {_SESSION_TIMEOUT: None, _UNCLEAN: None})]
    )
    values: dict[str, str] = {}
    for resource in response.to_object()["resources"]:
        values |= {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
    session = values.get(_SESSION_TIMEOUT)
    unclean = values.get(_UNCLEAN)
    return ClusterFacts(
        brokers=len(brokers),
        session_timeout_ms=int(session) if session and session.isdigit() else None,
        unclean_leader_election=None if unclean is None else unclean.lower() == "true",
    )


async def check_durability(kafka: KafkaSettings, publish_timeout_s: float) -> list[Finding]:
    """:func:`judge` on the live cluster the settings point at."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(
        bootstrap_servers=kafka.servers,
        client_id=f"{kafka.client_id}-admin",
        request_timeout_ms=kafka.request_timeout_ms,
    )
    await admin.start()
    try:
        return judge(await cluster_facts(admin), kafka, publish_timeout_s)
    finally:
        await admin.close()
