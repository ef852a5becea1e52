"""The console's Kafka producer, for replays and releases: opened on first use, closed with
the gateway.

Most gateways never replay anything, so none is opened at start; the first operator action
opens one (``acks=all``, idempotent, as the CLI's), and every later one shares it.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

from pipeline.settings import KafkaSettings


class LazyProducer:
    """One producer per gateway, started on the first :meth:`get`."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self._kafka = kafka
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AIOKafkaProducer:
        """The started producer."""
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._kafka.servers,
                    client_id=f"{self._kafka.client_id}-console",
                    acks="all",
                    enable_idempotence=True,
                    request_timeout_ms=self._kafka.request_timeout_ms,
                )
                await producer.start()
                self._producer = producer
            return self._producer

    async def publish(
        self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        """Store one record durably before returning (the held releaser's ``Publish``)."""
        producer = await self.get()
        await producer.send_and_wait(topic, value, key=key, headers=headers)

    async def close(self) -> None:
        """Stop the producer if one was opened."""
        async with self._lock:
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None
