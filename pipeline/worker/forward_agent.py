"""Agents: ``wa.events`` → Genesys (``forward_to_genesys``), and its retries
(``retry_wa_events`` on ``wa.events.retry``).

Both run the same :class:`EventHandler`; a failure is never retried in place but
republished: to the retry topic with a not-before time, to the held topic, or to the DLQ
(:mod:`pipeline.worker.routing`). A record is published before its offset is committed, so
a crash replays rather than loses; the delivery claim makes the replay harmless.

Records are run by conversation (``tenant_id:wa_id``, the topics' key), concurrently across
conversations and in order within one, and a conversation with a message on the retry topic
sends its later messages behind it (:mod:`pipeline.worker.keyed_agent`,
:mod:`pipeline.worker.order`). The retry agent waits for a record's not-before time in that
record's own task, so a long ``Retry-After`` holds up its conversation only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import faust
from pydantic import ValidationError

from pipeline.kafka import retry
from pipeline.kafka.retry import BackoffPolicy
from pipeline.metrics import record as metrics
from pipeline.settings import PacingSettings
from pipeline.store import journey
from pipeline.store.tracking import Direction
from pipeline.worker.errors import BadEventError
from pipeline.worker.forward import Result
from pipeline.worker.keyed_agent import KeyedAgentContext, Record, register_keyed_agents
from pipeline.worker.order import PARK_SEQ
from pipeline.worker.records import dlq_headers
from pipeline.worker.resources import WorkerResources
from pipeline.worker.routing import Decision, decide, log_failure
from pipeline.worker.side_events import SideResult
from schemas.events import (
    WAGEN_EVENT,
    CallReceived,
    EchoReceived,
    MessageReceived,
    PreferenceChanged,
    StatusReceived,
)

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

    agent = "forward_to_genesys"
    """The agent's name in metrics (its retry agent runs the same handler)."""

    def __init__(
        self, resources: WorkerResources, topics: EventTopics, policy: BackoffPolicy
    ) -> None:
        self._resources = resources
        self._topics = topics
        self._policy = policy

    async def attempt(self, record: Record, attempt: int) -> Decision | None:
        """Attempt ``attempt`` (from 1) of one record; where its failure goes, if it failed."""
        tenant, started = record.tenant, time.monotonic()
        try:
            result = await self._dispatch(
                record.value, journey.Mark.of(record.headers, record.position, attempt)
            )
        except Exception as exc:
            decision = decide(exc, attempt, self._policy)
            log_failure(log, "event", exc, decision, tenant, attempt)
            metrics.event_handled(self.agent, record.headers, decision.destination, started)
            return decision
        metrics.event_handled(self.agent, record.headers, result or "skipped", started)
        if result is not None:
            log.info("event forwarded", extra={"tenant_id": tenant, "result": result})
        return None

    async def _dispatch(self, value: bytes, mark: journey.Mark) -> Result | SideResult | None:
        try:
            event = WAGEN_EVENT.validate_json(value)
        except ValidationError as exc:
            raise BadEventError(f"not a wagen event: {exc.error_count()} problem(s)") from exc
        clients = self._resources.clients
        forwarder = clients.forwarder
        if isinstance(event, MessageReceived):
            return await forwarder.message(event, mark)
        if isinstance(event, StatusReceived):
            await clients.side.before_status(event)
            return await forwarder.status(event, mark)
        if isinstance(event, EchoReceived | CallReceived | PreferenceChanged):
            return await clients.side.handle(event)
        # Webhook errors concern no conversation; they are logged by the split agent.
        return None

    async def defer(self, record: Record, place: int) -> None:
        """To the end of the retry topic as it is, with its place in its conversation's line
        (no attempt is counted: it was not tried)."""
        headers = [(k, v) for k, v in record.headers.items() if k != PARK_SEQ]
        headers.append((PARK_SEQ, str(place).encode()))
        await self._topics.retry.send(key=record.key, value=record.value, headers=headers)

    async def publish(
        self,
        decision: Decision,
        record: Record,
        attempt: int,
        extra: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        """Send a failed record to the retry topic, the held topic or the DLQ."""
        now = retry.now_ms()
        await self._publish(decision, record, attempt, extra, now)
        await self._journey_failure(decision, record, attempt, now)

    async def _publish(
        self,
        decision: Decision,
        record: Record,
        attempt: int,
        extra: Sequence[tuple[str, bytes]],
        now: int,
    ) -> None:
        key, value = record.key, record.value
        # Copies name the first position of the record, for its journey.
        headers = {**record.headers, **dict(journey.origin_header(record.headers, record.position))}
        source = self._topics.source_name
        metrics.failure_routed(decision.destination, source, decision.code, record.tenant)
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
            replaced = {name for name, _ in extra}
            out = [(k, v) for k, v in out if k not in replaced] + list(extra)
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

    def journey_of(self, record: Record) -> tuple[Direction, str] | None:
        """Whose journey a record belongs to: a customer's message (its wamid), or, for a
        status, the agent's message it reports on (found by that wamid); from the split
        agent's headers."""
        message_id = record.headers.get("message_id", b"").decode(errors="replace")
        if not message_id:
            return None
        kind = record.headers.get("kind", b"").decode(errors="replace")
        return ("outbound" if kind == "status" else "inbound"), message_id

    async def _journey_failure(
        self, decision: Decision, record: Record, attempt: int, now: int
    ) -> None:
        """Note where the failed record went, for its journey. Best effort, once the record
        was handed to its topic: a journey row is never worth a lost or doubled message."""
        whose, tenant = self.journey_of(record), record.tenant
        if whose is None or not tenant:
            return
        topics = {"retry": self._topics.retry, "held": self._topics.held, "dlq": self._topics.dlq}
        detail: dict[str, object] = {
            "to": next(iter(topics[decision.destination].topics)),
            "code": decision.code,
            "error": decision.error[:500],
            "event": record.headers.get("kind", b"").decode(errors="replace") or None,
        }
        if decision.destination == "retry":
            detail["notBeforeMs"] = now + int(decision.delay_s * 1000)
        mark = journey.Mark.of(record.headers, record.position, attempt)
        try:
            await journey.record_step(
                self._resources.clients.resources.postgres,
                tenant,
                whose[0],
                whose[1],
                decision.destination,
                mark,
                detail,
            )
        except asyncpg.ForeignKeyViolationError:
            # No such tenant in this database (the failure is likely tenant_not_found).
            log.debug("journey step not recorded: unknown tenant")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("journey step not recorded: %s", type(exc).__name__)


def conversation_key(record: Record) -> str:
    """``wa.events`` and its retry topic are keyed by conversation (``tenant_id:wa_id``)."""
    return record.key.decode(errors="replace") if record.key else record.tenant


def register_forward_agents(
    app: faust.App,
    resources: WorkerResources,
    topics: EventTopics,
    policy: BackoffPolicy,
    pacing: PacingSettings,
    redis_prefix: str,
) -> None:
    """Attach ``forward_to_genesys`` and ``retry_wa_events`` to ``app``."""
    register_keyed_agents(
        app,
        (topics.events, "forward_to_genesys"),
        (topics.retry, "retry_wa_events"),
        KeyedAgentContext(
            handler=EventHandler(resources, topics, policy),
            resources=resources,
            source=topics.source_name,
            pacing=pacing,
            redis_prefix=redis_prefix,
            conversation_of=conversation_key,
        ),
    )
