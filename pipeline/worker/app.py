"""Builds the worker's Faust app and runs it.

The app id is the Kafka consumer group: run more ``wagen worker`` processes with the same
id and Kafka spreads the partitions between them. No global app object exists at import
time; the entry point builds one from settings.
"""

from __future__ import annotations

import asyncio
import logging

import faust

from pipeline.kafka.retry import BackoffPolicy
from pipeline.kafka.topics import (
    GENESYS_WEBHOOKS,
    WA_EVENTS,
    WA_WEBHOOKS,
    dlq_topic,
    ensure_declared_topics,
    held_topic,
    retry_topic,
)
from pipeline.metrics.worker import add_worker_metrics
from pipeline.settings import WagenSettings
from pipeline.worker.forward_agent import EventTopics, register_forward_agents
from pipeline.worker.held_releaser import register_held_releaser
from pipeline.worker.outbound_agent import register_outbound_agents
from pipeline.worker.resources import WorkerResources
from pipeline.worker.split_meta import register_split_agent

log = logging.getLogger(__name__)


def _raw_topic(app: faust.App, name: str) -> faust.TopicT:
    # Bytes in, bytes out: agents parse with pydantic themselves (one model system).
    return app.topic(
        name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )


def create_worker_app(settings: WagenSettings) -> faust.App:
    """The worker's Faust app, configured from settings, with every agent attached."""
    app = faust.App(
        settings.worker.app_id,
        broker=[f"kafka://{server}" for server in settings.kafka.servers],
        broker_client_id=f"{settings.kafka.client_id}-worker",
        # Nothing we keep is a Faust table yet; in-memory stores need no RocksDB.
        store="memory://",
        topic_partitions=settings.worker.topic_partitions,
        # Faust's own topics (its leader election) as replicated as wagen's.
        topic_replication_factor=settings.kafka.replication_factor,
        consumer_auto_offset_reset=settings.worker.new_group_offset,
        # Every record we produce must survive a broker failure before we move on.
        producer_acks=-1,
        # Faust's web server stays off: the worker's one endpoint, /metrics, is served by
        # a service of ours started with the app (pipeline.metrics.worker).
        web_enabled=False,
        autodiscover=False,
    )
    register_split_agent(
        app,
        source=_raw_topic(app, WA_WEBHOOKS),
        events=_raw_topic(app, WA_EVENTS),
        dlq=_raw_topic(app, dlq_topic(WA_WEBHOOKS)),
    )
    # The first dependency: mode starts it before the consumer and agents, stops it after.
    resources = app.add_dependency(WorkerResources(settings))
    add_worker_metrics(app, settings)
    assert isinstance(resources, WorkerResources)
    worker = settings.worker
    policy = BackoffPolicy(
        worker.retry_attempts, worker.retry_base_delay_s, worker.retry_max_delay_s
    )
    register_forward_agents(
        app,
        resources,
        EventTopics(
            events=_raw_topic(app, WA_EVENTS),
            retry=_raw_topic(app, retry_topic(WA_EVENTS)),
            dlq=_raw_topic(app, dlq_topic(WA_EVENTS)),
            held=_raw_topic(app, held_topic(WA_EVENTS)),
        ),
        policy,
        settings.pacing,
        settings.tenancy.redis_prefix,
    )
    register_outbound_agents(
        app,
        settings,
        resources,
        EventTopics(
            events=_raw_topic(app, GENESYS_WEBHOOKS),
            retry=_raw_topic(app, retry_topic(GENESYS_WEBHOOKS)),
            dlq=_raw_topic(app, dlq_topic(GENESYS_WEBHOOKS)),
            held=_raw_topic(app, held_topic(GENESYS_WEBHOOKS)),
        ),
        policy,
    )
    register_held_releaser(
        app,
        resources,
        {
            WA_EVENTS: _raw_topic(app, WA_EVENTS),
            GENESYS_WEBHOOKS: _raw_topic(app, GENESYS_WEBHOOKS),
        },
        settings,
    )
    return app


def run_worker(settings: WagenSettings) -> None:
    """Run the worker until SIGINT/SIGTERM; Faust leaves the consumer group cleanly."""
    # The agents subscribe to wagen's topics: make sure they exist, as declared.
    asyncio.run(ensure_declared_topics(settings.kafka, settings.worker.app_id))
    app = create_worker_app(settings)
    log.info(
        "worker starting",
        extra={"app_id": settings.worker.app_id, "kafka": settings.kafka.bootstrap_servers},
    )
    # Faust would replace the root handler with its own (colour, its format): keep ours, so
    # its and aiokafka's records come out as JSON lines with ids and secrets redacted too.
    worker = faust.Worker(app, loglevel=settings.log.level, quiet=True, override_logging=False)
    # Its terminal spinner writes control codes to stdout, between our log lines.
    worker.spinner = None
    worker.execute_from_commandline()
