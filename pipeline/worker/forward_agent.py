"""Agents: ``wa.events`` → Genesys (``forward_to_genesys``), and its retries
(``retry_wa_events`` on ``wa.events.retry``).

Both run the same :class:`EventHandler`; a failure is never retried in place (that would
hold up every conversation behind it on the partition) but republished: to the retry topic
with a not-before time, to the held topic, or to the DLQ (:mod:`pipeline.worker.routing`).
Faust commits a record's offset only after the agent has handled it, and a record is
published before it is committed, so a crash replays rather than loses; the delivery claim
makes the replay harmless.

The retry agent sleeps until a record's not-before time. Its topic is keyed like
``wa.events``, so records of one conversation keep their order there too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import faust
from pydantic import ValidationError

from pipeline import retry
from pipeline.retry import BackoffPolicy
from pipeline.worker.errors import BadEventError
from pipeline.worker.forward import Result
from pipeline.worker.records import dlq_headers
from pipeline.worker.resources import WorkerResources
from pipeline.worker.routing import Decision, decide, is_infrastructure
from schemas.errors import WagenError
from schemas.events import WAGEN_EVENT, MessageReceived, StatusReceived

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventTopics:
    """The topics the forwarding agents read and write."""

    events: faust.TopicT
    retry: faust.TopicT
    dlq: faust.TopicT
    held: faust.TopicT

    @property
    def source_name(self) -> str:
        """The name of the main topic, for DLQ headers."""
        return next(iter(self.events.topics))


class EventHandler:
    """Runs one ``wa.events`` record through the forwarder and publishes its failure."""

    def __init__(
        self, resources: WorkerResources, topics: EventTopics, policy: BackoffPolicy
    ) -> None:
        self._resources = resources
        self._topics = topics
        self._policy = policy

    async def handle(
        self, key: bytes | None, value: bytes, headers: Mapping[str, bytes], attempt: int
    ) -> None:
        """Attempt ``attempt`` (from 1) of one record."""
        tenant = headers.get("tenant_id", b"").decode()
        try:
            result = await self._dispatch(value)
        except Exception as exc:
            decision = decide(exc, attempt, self._policy)
            _log_failure(exc, decision, tenant, attempt)
            await self._publish(decision, key, value, headers, attempt)
            return
        if result is not None:
            log.info("event forwarded", extra={"tenant_id": tenant, "result": result})

    async def _dispatch(self, value: bytes) -> Result | None:
        try:
            event = WAGEN_EVENT.validate_json(value)
        except ValidationError as exc:
            raise BadEventError(f"not a wagen event: {exc.error_count()} problem(s)") from exc
        forwarder = self._resources.clients.forwarder
        if isinstance(event, MessageReceived):
            return await forwarder.message(event)
        if isinstance(event, StatusReceived):
            return await forwarder.status(event)
        # Webhook errors concern no conversation; they are logged by the split agent.
        return None

    async def _publish(
        self,
        decision: Decision,
        key: bytes | None,
        value: bytes,
        headers: Mapping[str, bytes],
        attempt: int,
    ) -> None:
        now = retry.now_ms()
        failures = retry.with_failure(
            headers, attempt=attempt, code=decision.code, error=decision.error, at_ms=now
        )
        if decision.destination == "retry":
            out = retry.retry_headers(
                headers,
                attempt=attempt,
                not_before=now + int(decision.delay_s * 1000),
                failures=failures,
            )
            await self._topics.retry.send(key=key, value=value, headers=out)
            return
        if decision.destination == "held":
            held = [
                *[(k, v) for k, v in headers.items() if not k.startswith("held_")],
                ("held_reason", decision.code.encode()),
                ("held_error", decision.error[:1000].encode()),
                ("held_at_ms", str(now).encode()),
            ]
            if decision.release_after_s is not None:
                release = now + int(decision.release_after_s * 1000)
                held.append(("held_release_after_ms", str(release).encode()))
            await self._topics.held.send(key=key, value=value, headers=held)
            return
        dead = dlq_headers(
            headers,
            source_topic=self._topics.source_name,
            error_code=decision.code,
            error=decision.error,
        )
        dead += [
            ("dlq_attempts", str(attempt).encode()),
            (retry.HISTORY, retry.history_json(failures).encode()),
        ]
        await self._topics.dlq.send(key=key, value=value, headers=dead)


def _log_failure(exc: Exception, decision: Decision, tenant: str, attempt: int) -> None:
    extra = {
        "tenant_id": tenant,
        "attempt": attempt,
        "destination": decision.destination,
        "code": decision.code,
        "delay_s": round(decision.delay_s, 3),
    }
    if not isinstance(exc, WagenError) and not is_infrastructure(exc):
        # Neither classified nor a dependency blip: probably a bug, so keep the traceback.
        log.exception("event failed unexpectedly", extra=extra)
    else:
        log.warning("event failed: %s", decision.error, extra=extra)


def register_forward_agents(
    app: faust.App, resources: WorkerResources, topics: EventTopics, policy: BackoffPolicy
) -> None:
    """Attach ``forward_to_genesys`` and ``retry_wa_events`` to ``app``."""
    handler = EventHandler(resources, topics, policy)

    async def forward_to_genesys(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for record in stream.events():
            headers = dict(record.headers or {})
            value = record.value if isinstance(record.value, bytes) else b""
            key = record.key if isinstance(record.key, bytes) else None
            await handler.handle(key, value, headers, attempt=1)
            yield None

    async def retry_wa_events(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for record in stream.events():
            headers = dict(record.headers or {})
            value = record.value if isinstance(record.value, bytes) else b""
            key = record.key if isinstance(record.key, bytes) else None
            wait_ms = retry.not_before_ms(headers) - retry.now_ms()
            if wait_ms > 0:
                await asyncio.sleep(wait_ms / 1000)
            await handler.handle(key, value, headers, attempt=retry.attempts_made(headers) + 1)
            yield None

    app.agent(topics.events, name="forward_to_genesys")(forward_to_genesys)
    app.agent(topics.retry, name="retry_wa_events")(retry_wa_events)
