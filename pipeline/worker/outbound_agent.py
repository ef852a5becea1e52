"""Agents: ``genesys.webhooks`` → WhatsApp (``forward_to_meta``), and its retries
(``retry_genesys_webhooks`` on ``genesys.webhooks.retry``).

The same discipline as the inbound agents (:mod:`pipeline.worker.forward_agent`, whose
publishing this reuses): a failure is never retried in place but republished — to the retry
topic with a not-before time honouring ``Retry-After``, to the held topic, or to the DLQ —
and a record is published before its offset is committed, so a crash replays rather than
loses; the outbound claim makes the replay harmless. Records run by conversation (tenant and
customer, read from the body), in order within one, through the same keyed loop and
retry-topic line as inbound (:mod:`pipeline.worker.keyed_agent`).

The :class:`~pipeline.worker.outbound.OutboundSender` is built from the worker's shared
clients on first use, so the outbound direction adds no client of its own to
:class:`~pipeline.worker.resources.WorkerResources`.
"""

from __future__ import annotations

import json
import logging
import time

import faust

from connectors.genesys.attachments import GenesysAttachments
from pipeline.kafka.retry import BackoffPolicy
from pipeline.metrics import record as metrics
from pipeline.settings import WagenSettings
from pipeline.store import journey
from pipeline.store.tracking import Direction
from pipeline.telemetry.correlation import LogContext
from pipeline.worker.errors import BadEventError
from pipeline.worker.forward_agent import EventHandler, EventTopics
from pipeline.worker.keyed_agent import KeyedAgentContext, Record, register_keyed_agents
from pipeline.worker.meta_auth import MetaAuthDirectory
from pipeline.worker.outbound import OutboundSender, customer_wa_id
from pipeline.worker.outbound_claims import OutboundClaims
from pipeline.worker.resources import WorkerClients, WorkerResources
from pipeline.worker.routing import Decision, decide, log_failure, printable

log = logging.getLogger(__name__)


def build_sender(
    settings: WagenSettings, clients: WorkerClients, policy: BackoffPolicy
) -> OutboundSender:
    """The outbound sender over a started worker's shared clients."""
    worker = settings.worker
    resources = clients.resources
    return OutboundSender(
        pool=resources.postgres,
        tenants=clients.tenants,
        accounts=MetaAuthDirectory(clients.tenancy.credentials, worker.tenant_cache_ttl_s),
        claims=OutboundClaims(
            resources.postgres,
            resources.redis,
            key_prefix=settings.tenancy.redis_prefix,
            lease_s=worker.claim_lease_s,
            done_ttl_s=worker.dedupe_ttl_s,
        ),
        meta=clients.meta,
        genesys=clients.genesys,
        attachments=GenesysAttachments(clients.transport, settings.genesys),
        policy=policy,
        pacer=clients.pacer,
    )


class OutboundHandler(EventHandler):
    """Runs one ``genesys.webhooks`` record through the sender and publishes its failure."""

    agent = "forward_to_meta"

    def __init__(
        self,
        settings: WagenSettings,
        resources: WorkerResources,
        topics: EventTopics,
        policy: BackoffPolicy,
    ) -> None:
        super().__init__(resources, topics, policy)
        self._settings = settings
        self._built: tuple[WorkerClients, OutboundSender] | None = None

    def _sender(self) -> OutboundSender:
        clients = self._resources.clients
        if self._built is None or self._built[0] is not clients:
            # Rebuilt when the resources were restarted: never a sender on closed clients.
            self._built = (clients, build_sender(self._settings, clients, self._policy))
        return self._built[1]

    async def attempt(self, record: Record, attempt: int) -> Decision | None:
        """Attempt ``attempt`` (from 1) of one record; where its failure goes, if it failed."""
        tenant, started = record.tenant, time.monotonic()
        try:
            if not tenant:
                raise BadEventError("genesys.webhooks record has no tenant_id header")
            mark = journey.Mark.of(record.headers, record.position, attempt)
            outcome = await self._sender().handle(record.value, tenant, attempt, mark)
        except Exception as exc:
            decision = decide(exc, attempt, self._policy)
            log_failure(log, "agent webhook", exc, decision, tenant, attempt)
            metrics.event_handled(self.agent, record.headers, decision.destination, started)
            return decision
        metrics.event_handled(self.agent, record.headers, outcome.result, started)
        extra = {"tenant_id": tenant, "result": outcome.result, "attempt": attempt}
        failure = outcome.dead_letter
        if failure is None:
            log.info("agent webhook handled", extra=extra)
            return None
        log.warning("agent message failed: %s", failure.error, extra=extra)
        return Decision("dlq", failure.error_code, printable(failure.error))

    def journey_of(self, record: Record) -> tuple[Direction, str] | None:
        """An agent's message, by its Genesys id (read from the body: the gateway does not
        parse it)."""
        message_id = agent_log_facts(record).message_id
        return ("outbound", message_id) if message_id else None


def agent_conversation(record: Record) -> str:
    """``tenant_id:customer`` of an agent's webhook (``channel.to.id``).

    ``genesys.webhooks`` is keyed by tenant (the gateway does not parse bodies), which would
    run a tenant's conversations one at a time; this finer key runs them concurrently and
    keeps each in order. An unreadable body falls back to the tenant: it fails in the
    handler anyway.
    """
    try:
        to = json.loads(record.value)["channel"]["to"]["id"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return record.tenant
    return f"{record.tenant}:{to}" if isinstance(to, str) else record.tenant


def agent_log_facts(record: Record) -> LogContext:
    """The Genesys message id and the ``tenant_id:wa_id`` conversation of an agent's webhook
    (read from the body: the gateway does not parse it); nothing of an unreadable body."""
    try:
        body = json.loads(record.value)
        message_id, to = body.get("id"), body["channel"]["to"]["id"]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return LogContext()
    return LogContext(
        message_id=message_id if isinstance(message_id, str) else None,
        conversation=f"{record.tenant}:{customer_wa_id(to)}" if isinstance(to, str) else None,
    )


def register_outbound_agents(
    app: faust.App,
    settings: WagenSettings,
    resources: WorkerResources,
    topics: EventTopics,
    policy: BackoffPolicy,
) -> None:
    """Attach ``forward_to_meta`` and ``retry_genesys_webhooks`` to ``app``."""
    register_keyed_agents(
        app,
        (topics.events, "forward_to_meta"),
        (topics.retry, "retry_genesys_webhooks"),
        KeyedAgentContext(
            handler=OutboundHandler(settings, resources, topics, policy),
            resources=resources,
            source=topics.source_name,
            pacing=settings.pacing,
            redis_prefix=settings.tenancy.redis_prefix,
            conversation_of=agent_conversation,
            log_facts=agent_log_facts,
        ),
    )
