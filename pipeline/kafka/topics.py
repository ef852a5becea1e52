"""Every Kafka topic wagen uses, declared once, and the code that makes the cluster match.

Keys: raw webhook topics are keyed by ``tenant_id`` (the gateway does not parse bodies);
normalized topics by ``tenant_id:wa_id`` so one conversation stays on one partition, in
order. Retention of the raw topics is long enough to re-drive a tenant's traffic after an
incident; DLQs keep their entries longer, for a human to look at.

Every name starts with ``WAGEN_KAFKA_TOPIC_PREFIX`` (empty by default), so several pipelines
can share one cluster: the test suite and the bench write to topics of their own, never to
the ones ``make run`` reads. The prefix is read from the environment once, when this module
is imported: the names are constants used across the gateway, the worker, the CLI and the
metrics labels, and a process never changes its topics while it runs. The settings carry
the same variable (``KafkaSettings.topic_prefix``, validated and documented there), and
:func:`check_topic_prefix` refuses settings that disagree with the names in use.

Kafka's own imports wait until a topic is created: the CLI reads these names for its
``--help`` and must stay light.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Final, Literal

from pipeline.errors import PipelineError

if TYPE_CHECKING:
    from aiokafka.admin import AIOKafkaAdminClient

    from pipeline.settings import KafkaSettings

TOPIC_PREFIX_ENV: Final = "WAGEN_KAFKA_TOPIC_PREFIX"
TOPIC_PREFIX: Final = os.environ.get(TOPIC_PREFIX_ENV, "")
"""Put before every name below; the settings validate it before any process touches Kafka."""

WA_WEBHOOKS: Final = f"{TOPIC_PREFIX}wa.webhooks"
WA_WEBHOOKS_QUARANTINE: Final = f"{TOPIC_PREFIX}wa.webhooks.quarantine"
WA_EVENTS: Final = f"{TOPIC_PREFIX}wa.events"
GENESYS_WEBHOOKS: Final = f"{TOPIC_PREFIX}genesys.webhooks"

_TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code
_METADATA_ROUNDS: Final = 20
_METADATA_PAUSE_S: Final = 0.1
_RAW_RETENTION = timedelta(days=7)
_DLQ_RETENTION = timedelta(days=30)


class TopicSetupError(PipelineError):
    """The broker refused to create a topic (other than because it already exists)."""

    code = "topic_setup_failed"


def check_topic_prefix(kafka: KafkaSettings) -> None:
    """Refuse settings whose topic prefix is not the one this process's names were built with.

    Raises:
        TopicSetupError: settings built in code with another prefix than the environment's.
    """
    if kafka.topic_prefix != TOPIC_PREFIX:
        raise TopicSetupError(
            f"settings name topic prefix {kafka.topic_prefix!r} but this process's topics "
            f"use {TOPIC_PREFIX!r}: set {TOPIC_PREFIX_ENV} before the process starts"
        )


def retry_topic(source: str) -> str:
    """Where retryable failures of ``source`` wait for their next attempt."""
    return f"{source}.retry"


def dlq_topic(source: str) -> str:
    """Where events of ``source`` go when retrying cannot help."""
    return f"{source}.dlq"


def held_topic(source: str) -> str:
    """Where events of ``source`` wait while their tenant cannot take them (quota, credentials)."""
    return f"{source}.held"


@dataclass(frozen=True)
class TopicSpec:
    """What a topic is for and how it must be configured."""

    name: str
    purpose: str
    key: str
    retention: timedelta
    partitions: int | None = None
    """Its own partition count; None: the settings' (``WAGEN_KAFKA_PARTITIONS``)."""

    def configs(self, min_insync_replicas: int = 1) -> dict[str, str]:
        """The topic-level configs wagen manages (everything else stays at broker default).

        ``min_insync_replicas`` comes from the settings: how many copies an ``acks=all``
        write needs, which depends on the cluster, not on the topic's purpose.
        """
        return {
            "cleanup.policy": "delete",
            "retention.ms": str(int(self.retention.total_seconds() * 1000)),
            "min.insync.replicas": str(min_insync_replicas),
        }


def _with_retry_and_dlq(spec: TopicSpec) -> tuple[TopicSpec, ...]:
    return (
        spec,
        replace(
            spec,
            name=retry_topic(spec.name),
            purpose=f"retryable failures of {spec.name}, with attempt and not-before time",
        ),
        replace(
            spec,
            name=dlq_topic(spec.name),
            purpose=f"events of {spec.name} that exhausted retries or failed permanently",
            retention=_DLQ_RETENTION,
        ),
    )


TOPICS: tuple[TopicSpec, ...] = (
    *_with_retry_and_dlq(
        TopicSpec(
            WA_WEBHOOKS,
            "Meta webhook bodies exactly as received, with signature already checked",
            "tenant_id",
            _RAW_RETENTION,
        )
    ),
    TopicSpec(
        WA_WEBHOOKS_QUARANTINE,
        "shared-app webhooks for a phone number no tenant owns (never forwarded)",
        "phone_number_id",
        _DLQ_RETENTION,
    ),
    *_with_retry_and_dlq(
        TopicSpec(
            WA_EVENTS,
            "one normalized event per WhatsApp message, status or error",
            "tenant_id:wa_id",
            _RAW_RETENTION,
        )
    ),
    TopicSpec(
        held_topic(WA_EVENTS),
        "events of wa.events held per tenant (monthly quota used up, credentials missing), "
        "with the reason, to be released, not repaired",
        "tenant_id:wa_id",
        _DLQ_RETENTION,
    ),
    *_with_retry_and_dlq(
        TopicSpec(
            GENESYS_WEBHOOKS,
            "Genesys outbound webhook bodies exactly as received, signature checked",
            "tenant_id",
            _RAW_RETENTION,
        )
    ),
    TopicSpec(
        held_topic(GENESYS_WEBHOOKS),
        "agent messages held per tenant (Meta credentials missing), with the reason, "
        "to be released, not repaired",
        "tenant_id",
        _DLQ_RETENTION,
    ),
)


def group_topics(group: str) -> tuple[TopicSpec, ...]:
    """What a worker group needs besides wagen's topics: Faust's leader-election topic.

    Declared so it exists before the group's first worker starts: Faust would create it
    while starting, and its consumer's first metadata would miss it (an error and a warning
    in the log of every first start on a fresh broker).
    """
    return (
        TopicSpec(
            f"{group}-__assignor-__leader",
            "Faust's leader election in the worker group (no records)",
            "none",
            _RAW_RETENTION,
            partitions=1,
        ),
    )


@dataclass(frozen=True)
class TopicOutcome:
    """What ``ensure_topics`` did to one topic, and anything an operator must decide."""

    name: str
    action: Literal["created", "unchanged", "reconfigured"]
    partitions: int
    warning: str | None = None


async def ensure_topics(
    admin: AIOKafkaAdminClient,
    specs: tuple[TopicSpec, ...],
    *,
    partitions: int,
    replication_factor: int,
    min_insync_replicas: int = 1,
) -> list[TopicOutcome]:
    """Create missing topics and bring managed configs of existing ones back to the spec.

    Partitions are never added automatically: more partitions move keys to new partitions,
    which would break per-conversation order for in-flight traffic. A topic with fewer
    partitions than asked is reported for an operator to grow deliberately, and so is one
    with fewer replicas than asked (a reassignment is an operator's decision too).
    """
    from aiokafka.admin import NewTopic
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    def wanted(spec: TopicSpec) -> dict[str, str]:
        return spec.configs(min_insync_replicas)

    existing = set(await admin.list_topics())
    missing = [s for s in specs if s.name not in existing]
    if missing:
        response = await admin.create_topics(
            [
                NewTopic(
                    s.name, s.partitions or partitions, replication_factor, topic_configs=wanted(s)
                )
                for s in missing
            ]
        )
        errors = {e["topic"]: e for e in response.to_object()["topic_errors"] if e["error_code"]}
        # Listed a moment ago as missing, created since (metadata lags, or a second caller):
        # it exists, so it is checked like any existing topic.
        raced = {name for name, e in errors.items() if e["error_code"] == _TOPIC_ALREADY_EXISTS}
        failed = {name: e["error_message"] for name, e in errors.items() if name not in raced}
        if failed:
            raise TopicSetupError(f"could not create topics: {failed}")
        existing |= raced
        missing = [s for s in missing if s.name not in raced]
    outcomes = [TopicOutcome(s.name, "created", s.partitions or partitions) for s in missing]
    present = [s for s in specs if s.name in existing]
    if not present:
        return outcomes
    shapes = await _shapes(admin, [s.name for s in present])
    current = await _managed_configs(admin, present)
    drifted = [s for s in present if current[s.name] != wanted(s)]
    if drifted:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, s.name, wanted(s)) for s in drifted]
        )
    for spec in present:
        count, replicas = shapes[spec.name]
        asked = spec.partitions or partitions
        notes = []
        if count < asked:
            notes.append(
                f"has {count} partitions, settings ask {asked}: grow it deliberately "
                "(keys move to new partitions)"
            )
        if replicas < replication_factor:
            notes.append(
                f"has {replicas} replicas, settings ask {replication_factor}: reassign its "
                "partitions deliberately (kafka-reassign-partitions)"
            )
        action: Literal["reconfigured", "unchanged"] = (
            "reconfigured" if spec in drifted else "unchanged"
        )
        outcomes.append(TopicOutcome(spec.name, action, count, "; ".join(notes) or None))
    return outcomes


async def _shapes(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, tuple[int, int]]:
    """(partitions, fewest replicas of a partition) per topic. A topic created a moment ago
    may be described with no partitions until the broker's metadata catches up (KRaft):
    asked again, briefly, before it is believed."""
    import asyncio

    for _ in range(_METADATA_ROUNDS):
        described = await admin.describe_topics(names)
        shapes = {
            t["topic"]: (
                len(t["partitions"]),
                min((len(p["replicas"]) for p in t["partitions"]), default=0),
            )
            for t in described
        }
        if all(shapes.get(name, (0, 0))[0] > 0 for name in names):
            break
        await asyncio.sleep(_METADATA_PAUSE_S)
    return shapes


async def _managed_configs(
    admin: AIOKafkaAdminClient, specs: list[TopicSpec]
) -> dict[str, dict[str, str]]:
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    wanted = {key: None for key in specs[0].configs()}
    responses = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, s.name, dict(wanted)) for s in specs]
    )
    found: dict[str, dict[str, str]] = {}
    for response in responses:
        for resource in response.to_object()["resources"]:
            entries = resource["config_entries"]
            found[resource["resource_name"]] = {
                e["config_names"]: e["config_value"] for e in entries
            }
    return found


async def ensure_declared_topics(
    kafka: KafkaSettings, group: str | None = None
) -> list[TopicOutcome]:
    """``ensure_topics`` for every declared topic, with the configured partitions and replicas.

    With ``group`` (the worker's app id), that group's own topics too, and it returns once
    Kafka can coordinate the group: on a fresh broker the first group request creates
    ``__consumer_offsets`` and is refused until it exists, which every process starting then
    would log.

    Raises:
        TopicSetupError: a broker refused, or the settings' prefix is not this process's.
    """
    from aiokafka.admin import AIOKafkaAdminClient

    check_topic_prefix(kafka)
    admin = AIOKafkaAdminClient(
        bootstrap_servers=kafka.servers,
        client_id=f"{kafka.client_id}-admin",
        request_timeout_ms=kafka.request_timeout_ms,
    )
    await admin.start()
    try:
        outcomes = await ensure_topics(
            admin,
            TOPICS + (group_topics(group) if group else ()),
            partitions=kafka.partitions,
            replication_factor=kafka.replication_factor,
            min_insync_replicas=kafka.min_insync_replicas,
        )
        if group:
            await _coordinator_ready(admin, group)
        return outcomes
    finally:
        await admin.close()


async def _coordinator_ready(admin: AIOKafkaAdminClient, group: str) -> None:
    """Until a broker coordinates ``group`` (a minute at most: then the consumer waits)."""
    import asyncio

    from aiokafka.errors import KafkaError

    for _ in range(120):
        try:
            await admin.find_coordinator(group)
            return
        except KafkaError:
            await asyncio.sleep(0.5)
