"""Builds the worker's Faust app and runs it.

The app id is the Kafka consumer group: run more ``wagen worker`` processes with the same
id and Kafka spreads the partitions between them. No global app object exists at import
time; the entry point builds one from settings.
"""

from __future__ import annotations

import logging

import faust

from pipeline.settings import WagenSettings

log = logging.getLogger(__name__)


def create_worker_app(settings: WagenSettings) -> faust.App:
    """The worker's Faust app, configured from settings."""
    return faust.App(
        settings.worker.app_id,
        broker=[f"kafka://{server}" for server in settings.kafka.servers],
        broker_client_id=f"{settings.kafka.client_id}-worker",
        # Nothing we keep is a Faust table yet; in-memory stores need no RocksDB.
        store="memory://",
        topic_partitions=settings.worker.topic_partitions,
        # Every record we produce must survive a broker failure before we move on.
        producer_acks=-1,
        # The gateway serves HTTP; the worker needs no web server of its own.
        web_enabled=False,
        autodiscover=False,
    )


def run_worker(settings: WagenSettings) -> None:
    """Run the worker until SIGINT/SIGTERM; Faust leaves the consumer group cleanly."""
    app = create_worker_app(settings)
    log.info(
        "worker starting",
        extra={"app_id": settings.worker.app_id, "kafka": settings.kafka.bootstrap_servers},
    )
    worker = faust.Worker(app, loglevel=settings.log.level, quiet=True)
    worker.execute_from_commandline()
