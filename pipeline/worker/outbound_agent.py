"""Agents: ``genesys.webhooks`` → WhatsApp (``forward_to_meta``), and its retries
(``retry_genesys_webhooks`` on ``genesys.webhooks.retry``).

The same discipline as the inbound agents (:mod:`pipeline.worker.forward_agent`, whose
publishing this reuses): a failure is never retried in place but republished — to the retry
topic with a not-before time honouring ``Retry-After``, to the held topic, or to the DLQ —
and a record is published before its offset is committed, so a crash replays rather than
loses; the outbound claim makes the replay harmless.

The :class:`~pipeline.worker.outbound.OutboundSender` is built from the worker's shared
clients on first use, so the outbound direction adds no client of its own to
:class:`~pipeline.worker.resources.WorkerResources`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping

import faust

from connectors.genesys.attachments import GenesysAttachments
from pipeline import retry
from pipeline.retry import BackoffPolicy
from pipeline.settings import WagenSettings
from pipeline.worker.errors import BadEventError
from pipeline.worker.forward_agent import EventHandler, EventTopics
from pipeline.worker.meta_auth import MetaAuthDirectory
from pipeline.worker.outbound import OutboundSender
from pipeline.worker.outbound_claims import OutboundClaims
from pipeline.worker.resources import WorkerClients, WorkerResources
from pipeline.worker.routing import Decision, decide, is_infrastructure
from schemas.errors import WagenError

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
    )


class OutboundHandler(EventHandler):
    """Runs one ``genesys.webhooks`` record through the sender and publishes its failure."""

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

    async def handle(
        self, key: bytes | None, value: bytes, headers: Mapping[str, bytes], attempt: int
    ) -> None:
        """Attempt ``attempt`` (from 1) of one record."""
        tenant = headers.get("tenant_id", b"").decode()
        try:
            if not tenant:
                raise BadEventError("genesys.webhooks record has no tenant_id header")
            outcome = await self._sender().handle(value, tenant, attempt)
        except Exception as exc:
            decision = decide(exc, attempt, self._policy)
            _log_failure(exc, decision, tenant, attempt)
            await self._publish(decision, key, value, headers, attempt)
            return
        extra = {"tenant_id": tenant, "result": outcome.result, "attempt": attempt}
        failure = outcome.dead_letter
        if failure is None:
            log.info("agent webhook handled", extra=extra)
            return
        log.warning("agent message failed: %s", failure.error, extra=extra)
        dead = Decision("dlq", failure.error_code, failure.error)
        await self._publish(dead, key, value, headers, attempt)


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
        log.exception("agent webhook failed unexpectedly", extra=extra)
    else:
        log.warning("agent webhook failed: %s", decision.error, extra=extra)


def register_outbound_agents(
    app: faust.App,
    settings: WagenSettings,
    resources: WorkerResources,
    topics: EventTopics,
    policy: BackoffPolicy,
) -> None:
    """Attach ``forward_to_meta`` and ``retry_genesys_webhooks`` to ``app``."""
    handler = OutboundHandler(settings, resources, topics, policy)

    async def forward_to_meta(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for record in stream.events():
            headers = dict(record.headers or {})
            value = record.value if isinstance(record.value, bytes) else b""
            key = record.key if isinstance(record.key, bytes) else None
            await handler.handle(key, value, headers, attempt=1)
            yield None

    async def retry_genesys_webhooks(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for record in stream.events():
            headers = dict(record.headers or {})
            value = record.value if isinstance(record.value, bytes) else b""
            key = record.key if isinstance(record.key, bytes) else None
            wait_ms = retry.not_before_ms(headers) - retry.now_ms()
            if wait_ms > 0:
                await asyncio.sleep(wait_ms / 1000)
            await handler.handle(key, value, headers, attempt=retry.attempts_made(headers) + 1)
            yield None

    app.agent(topics.events, name="forward_to_meta")(forward_to_meta)
    app.agent(topics.retry, name="retry_genesys_webhooks")(retry_genesys_webhooks)
