"""The worker's metrics services: its ``/metrics`` endpoint and the Kafka sampler.

Both are ``mode.Service`` dependencies of the Faust app, so they start with it and stop
with it (explicit lifespan, like the worker's clients); nothing runs at import time.
"""

from __future__ import annotations

import faust

from pipeline.kafka.topics import TOPICS, dlq_topic
from pipeline.metrics.http import MetricsServer
from pipeline.metrics.record import configure
from pipeline.metrics.sampler import KafkaSampler
from pipeline.settings import WagenSettings


def dlq_topics() -> list[str]:
    """Every dead-letter topic wagen declares."""
    return [t.name for t in TOPICS if any(t.name == dlq_topic(s.name) for s in TOPICS)]


def add_worker_metrics(app: faust.App, settings: WagenSettings) -> None:
    """Configure the labels and attach the endpoint and the sampler to ``app``."""
    configure(settings.metrics)
    worker = settings.worker
    app.add_dependency(
        MetricsServer(worker.metrics_host, worker.metrics_port, settings.metrics.token)
    )
    app.add_dependency(
        KafkaSampler(settings.kafka, worker.app_id, dlq_topics(), worker.metrics_sample_interval_s)
    )
