"""When each tenant last got a webhook from each source: written by the gateway, read by the
doctor.

The gateway notes every stored webhook, but writes at most one Redis ``SET`` per tenant and
source every ``min_interval_s`` per process, in the background: the ingress path never
waits for it, and a Redis outage loses a timestamp, never a webhook. The value is the epoch
milliseconds of the note; keys expire after 30 days without webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

import redis.exceptions
from redis.asyncio import Redis

log = logging.getLogger(__name__)

SOURCES: Final = ("meta", "genesys")
"""The webhook sources the gateway notes (the shared Meta app counts as ``meta``)."""

_TTL_S: Final = 30 * 86_400


class WebhookActivity:
    """Last-received times per tenant and source, in Redis."""

    def __init__(
        self,
        redis_client: Redis,
        prefix: str,
        *,
        min_interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis_client
        self._prefix = prefix
        self._min_interval_s = min_interval_s
        self._clock = clock
        self._noted: dict[tuple[str, str], float] = {}
        self._pending: set[asyncio.Task[None]] = set()

    def _key(self, tenant_id: str, source: str) -> str:
        return f"{self._prefix}activity:{tenant_id}:{source}"

    def note(self, tenant_id: str, source: str) -> None:
        """Remember that a webhook of ``source`` was stored for the tenant (never blocks)."""
        source = "meta" if source.startswith("meta") else source
        now = self._clock()
        last = self._noted.get((tenant_id, source))
        if last is not None and now - last < self._min_interval_s:
            return
        self._noted[(tenant_id, source)] = now
        at_ms = time.time_ns() // 1_000_000
        task = asyncio.get_running_loop().create_task(self._write(tenant_id, source, at_ms))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _write(self, tenant_id: str, source: str, at_ms: int) -> None:
        try:
            await self._redis.set(self._key(tenant_id, source), str(at_ms), ex=_TTL_S)
        except (redis.exceptions.RedisError, OSError) as exc:
            # Try again with the next webhook rather than after the interval.
            self._noted.pop((tenant_id, source), None)
            log.debug("webhook activity not noted", extra={"error": type(exc).__name__})

    async def last_received(self, tenant_id: str) -> dict[str, datetime | None]:
        """When each source last delivered a webhook for the tenant (``None``: not in 30 days)."""
        values = await self._redis.mget([self._key(tenant_id, s) for s in SOURCES])
        found: dict[str, datetime | None] = {}
        for source, value in zip(SOURCES, values, strict=True):
            found[source] = (
                datetime.fromtimestamp(int(value) / 1000, UTC) if value is not None else None
            )
        return found

    async def close(self) -> None:
        """Let the writes under way finish (briefly), then drop the rest."""
        if not self._pending:
            return
        _done, late = await asyncio.wait(set(self._pending), timeout=1.0)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError):
                await task
