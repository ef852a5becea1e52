"""Every Kafka topic wagen uses, declared once, and the code that makes the cluster match.

Keys: raw webhook topics are keyed by ``tenant_id`` (the gateway does not parse bodies);
normalized topics by ``tenant_id:wa_id`` so one conversation stays on one partition, in
order. Retention of the raw topics is long enough to re-drive a tenant's traffic after an
incident; DLQs keep their entries longer, for a human to look at.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Final, Literal

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from pipeline.errors import PipelineError
from pipeline.settings import KafkaSettings

WA_WEBHOOKS = "wa.webhooks"
WA_WEBHOOKS_QUARANTINE = "wa.webhooks.quarantine"
WA_EVENTS = "wa.events"
GENESYS_WEBHOOKS = "genesys.webhooks"

_TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code
_METADATA_ROUNDS: Final = 20
_METADATA_PAUSE_S: Final = 0.1
_RAW_RETENTION = timedelta(days=7)
_DLQ_RETENTION = timedelta(days=30)


class TopicSetupError(PipelineError):
    """The broker refused to create a topic (other than because it already exists)."""

    code = "topic_setup_failed"


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

    def configs(self) -> dict[str, str]:
        """The topic-level configs wagen manages (everything else stays at broker default)."""
        return {
            "cleanup.policy": "delete",
            "retention.ms": str(int(self.retention.total_seconds() * 1000)),
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
) -> list[TopicOutcome]:
    """Create missing topics and bring managed configs of existing ones back to the spec.

    Partitions are never added automatically: more partitions move keys to new partitions,
    which would break per-conversation order for in-flight traffic. A topic with fewer
    partitions than asked is reported for an operator to grow deliberately.
    """
    existing = set(await admin.list_topics())
    missing = [s for s in specs if s.name not in existing]
    if missing:
        response = await admin.create_topics(
            [
                NewTopic(s.name, partitions, replication_factor, topic_configs=s.configs())
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
    outcomes = [TopicOutcome(s.name, "created", partitions) for s in missing]
    present = [s for s in specs if s.name in existing]
    if not present:
        return outcomes
    counts = await _partition_counts(admin, [s.name for s in present])
    current = await _managed_configs(admin, present)
    drifted = [s for s in present if current[s.name] != s.configs()]
    if drifted:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, s.name, s.configs()) for s in drifted]
        )
    for spec in present:
        count = counts[spec.name]
        warning = None
        if count < partitions:
            warning = (
                f"has {count} partitions, settings ask {partitions}: grow it deliberately "
                "(keys move to new partitions)"
            )
        action: Literal["reconfigured", "unchanged"] = (
            "reconfigured" if spec in drifted else "unchanged"
        )
        outcomes.append(TopicOutcome(spec.name, action, count, warning))
    return outcomes


async def _partition_counts(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Partitions per topic. A topic created a moment ago may be described with none until
    the broker's metadata catches up (KRaft): asked again, briefly, before it is believed."""
    for _ in range(_METADATA_ROUNDS):
        described = await admin.describe_topics(names)
        counts = {t["topic"]: len(t["partitions"]) for t in described}
        if all(counts.get(name, 0) > 0 for name in names):
            break
        await asyncio.sleep(_METADATA_PAUSE_S)
    return counts


async def _managed_configs(
    admin: AIOKafkaAdminClient, specs: list[TopicSpec]
) -> dict[str, dict[str, str]]:
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


async def ensure_declared_topics(kafka: KafkaSettings) -> list[TopicOutcome]:
    """``ensure_topics`` for every declared topic, with the configured partitions."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=kafka.servers,
        client_id=f"{kafka.client_id}-admin",
        request_timeout_ms=kafka.request_timeout_ms,
    )
    await admin.start()
    try:
        return await ensure_topics(
            admin, TOPICS, partitions=kafka.partitions, replication_factor=kafka.replication_factor
        )
    finally:
        await admin.close()
