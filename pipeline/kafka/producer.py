"""The one Kafka producer of a process: ``acks=all`` and idempotent, started lazily.

A webhook is acknowledged only after ``publish`` returns, so everything that can go wrong
here must surface as ``KafkaUnavailableError`` (the gateway answers 503 and the sender
retries) — never as a hang longer than ``publish_timeout_s``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from pipeline.kafka.client import KafkaUnavailableError
from pipeline.metrics import record as metrics
from pipeline.settings import KafkaSettings
from pipeline.telemetry.correlation import unbound

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]


class EventProducer:
    """Publishes records durably; connects on first use so a process can start without Kafka."""

    def __init__(
        self, settings: KafkaSettings, *, publish_timeout_s: float, max_request_bytes: int
    ) -> None:
        self._settings = settings
        self._publish_timeout_s = publish_timeout_s
        self._max_request_bytes = max_request_bytes
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()
        self._closed = False

    async def _started(self) -> AIOKafkaProducer:
        if self._closed:
            raise RuntimeError("EventProducer used after stop()")
        if self._producer is not None:
            return self._producer
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._settings.servers,
                    client_id=f"{self._settings.client_id}-producer",
                    acks="all",
                    enable_idempotence=True,
                    request_timeout_ms=self._settings.request_timeout_ms,
                    # Room for the largest accepted body plus headers and framing.
                    max_request_size=self._max_request_bytes + 64 * 1024,
                    linger_ms=2,
                )
                try:
                    # Not in the first request's log context: the producer's own tasks
                    # outlive it and would carry its ids on every line.
                    await unbound(producer.start())
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
                log.info(
                    "kafka producer started", extra={"kafka": self._settings.bootstrap_servers}
                )
        return self._producer

    async def publish(self, topic: str, key: bytes, value: bytes, headers: Headers = ()) -> None:
        """Return once the record is stored on all in-sync replicas, or raise."""
        started, stored = time.monotonic(), False
        try:
            async with asyncio.timeout(self._publish_timeout_s):
                producer = await self._started()
                await producer.send_and_wait(topic, value, key=key, headers=list(headers))
            stored = True
        except (KafkaError, TimeoutError, OSError) as exc:
            raise KafkaUnavailableError(
                f"could not store record on {topic}: {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            metrics.kafka_produced(topic, stored, time.monotonic() - started)

    async def stop(self) -> None:
        """Flush what is in flight and close."""
        self._closed = True
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    def __del__(self) -> None:
        if self._producer is not None and not self._closed:
            warnings.warn("EventProducer was never stopped", ResourceWarning, stacklevel=1)
