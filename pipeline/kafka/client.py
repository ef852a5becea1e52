"""Kafka helpers shared by the gateway, the worker and the CLI."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaClient
from aiokafka.errors import KafkaError

from pipeline.errors import PipelineError
from pipeline.settings import KafkaSettings

log = logging.getLogger(__name__)


class KafkaUnavailableError(PipelineError):
    """No broker answered a metadata request."""

    retriable = True
    code = "kafka_unavailable"


class KafkaProbe:
    """Answers "can we talk to the cluster right now?" with a real metadata request.

    A TCP connect would say yes to a broker that is still starting; a metadata round trip
    proves the broker serves requests.
    """

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._client: AIOKafkaClient | None = None

    async def check(self) -> None:
        """Raise ``KafkaUnavailableError`` unless a broker answers with cluster metadata."""
        try:
            if self._client is None:
                client = AIOKafkaClient(
                    bootstrap_servers=self._settings.servers,
                    client_id=f"{self._settings.client_id}-probe",
                    request_timeout_ms=self._settings.request_timeout_ms,
                )
                try:
                    await client.bootstrap()
                except BaseException:
                    await client.close()
                    raise
                self._client = client
            metadata = await self._client.fetch_all_metadata()
        except KafkaError as exc:
            raise KafkaUnavailableError(
                f"kafka at {self._settings.bootstrap_servers}: {exc}"
            ) from exc
        if not metadata.brokers():
            raise KafkaUnavailableError(f"kafka at {self._settings.bootstrap_servers}: no brokers")

    async def close(self) -> None:
        """Close the connections the probe opened."""
        if self._client is not None:
            await self._client.close()
            self._client = None
