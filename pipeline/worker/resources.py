"""The worker's shared clients as one Faust service, opened before the agents and closed after.

``create_worker_app`` adds :class:`WorkerResources` as the app's first dependency, so mode
starts it before the consumer and the agents, and stops it after them (children stop in
reverse). Everything an agent uses comes from :attr:`WorkerResources.clients`, which fails
with a clear message before start instead of an ``AttributeError`` deep in a handler.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import mode

from connectors.genesys.client import GenesysClient
from connectors.genesys.token import GenesysTokenCache
from connectors.http import HttpTransport
from connectors.meta.client import MetaClient
from pipeline.errors import PipelineError
from pipeline.media.backend import open_media_store
from pipeline.media.ingest import MediaIngest
from pipeline.media.links import MediaLinkSigner
from pipeline.media.store import MediaStore
from pipeline.metrics.connectors import CONNECTOR_OBSERVER
from pipeline.runtime.resources import Resources, open_resources, tenancy_services
from pipeline.settings import PacingSettings, WagenSettings
from pipeline.store.claims import ClaimStore
from pipeline.worker.accounting import Accounting
from pipeline.worker.calls import CallHandler
from pipeline.worker.echoes import EchoForwarder
from pipeline.worker.forward import Forwarder
from pipeline.worker.meta_auth import MetaAuthDirectory
from pipeline.worker.pacing import Budget, CallPacer, Pacer, PacingBudgets
from pipeline.worker.shared_pacing import SharedPacer
from pipeline.worker.side_context import GenesysCaller
from pipeline.worker.side_events import SideEvents
from pipeline.worker.tenants import TenantDirectory
from tenancy.services import Tenancy


class ResourcesNotStartedError(PipelineError):
    """An agent ran before the worker's resources were opened (or after they closed)."""

    code = "worker_resources_not_started"


@dataclass(frozen=True)
class WorkerClients:
    """The clients of a started worker, shared by all agents."""

    resources: Resources
    tenancy: Tenancy
    transport: HttpTransport
    genesys: GenesysClient
    meta: MetaClient
    tenants: TenantDirectory
    claims: ClaimStore
    forwarder: Forwarder
    pacer: CallPacer
    side: SideEvents


class WorkerResources(mode.Service):
    """Opens PostgreSQL, Redis, Vault, the HTTP pool and the vendor clients for the worker."""

    def __init__(self, settings: WagenSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._settings = settings
        self._stack: AsyncExitStack | None = None
        self._clients: WorkerClients | None = None

    @property
    def clients(self) -> WorkerClients:
        """The started clients."""
        if self._clients is None:
            raise ResourcesNotStartedError("worker resources are not started (or already closed)")
        return self._clients

    async def on_start(self) -> None:
        """Open every client; anything opened is closed again if a later one fails."""
        settings = self._settings
        async with AsyncExitStack() as stack:
            resources = await stack.enter_async_context(open_resources(settings))
            transport = HttpTransport(observer=CONNECTOR_OBSERVER)
            await transport.start()
            stack.push_async_callback(transport.stop)
            store = await stack.enter_async_context(open_media_store(settings, resources))
            self._clients = _wire(settings, resources, transport, store)
            self._stack = stack.pop_all()

    async def on_stop(self) -> None:
        """Close the clients in reverse order of opening."""
        self._clients = None
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()


def pacer_from(settings: PacingSettings, clock: Callable[[], float] = time.monotonic) -> Pacer:
    """One pacer per worker, shared by every agent, so a tenant has one budget per worker."""
    genesys_burst = settings.genesys_burst
    return Pacer(
        PacingBudgets(
            genesys=Budget(settings.genesys_per_minute / 60, genesys_burst),
            meta=Budget(settings.meta_per_second, settings.meta_burst),
            genesys_overrides={
                tenant: Budget(per_minute / 60, genesys_burst)
                for tenant, per_minute in settings.genesys_overrides.items()
            },
        ),
        clock,
    )


def _wire(
    settings: WagenSettings, resources: Resources, transport: HttpTransport, store: MediaStore
) -> WorkerClients:
    tenancy = tenancy_services(settings, resources)
    worker = settings.worker
    tenants = TenantDirectory(
        tenancy.tenants, tenancy.credentials, settings.genesys, worker.tenant_cache_ttl_s
    )
    tokens = GenesysTokenCache(transport, settings.genesys, observer=CONNECTOR_OBSERVER)
    genesys = GenesysClient(transport, settings.genesys, tokens)
    claims = ClaimStore(
        resources.postgres,
        resources.redis,
        key_prefix=settings.tenancy.redis_prefix,
        lease_s=worker.claim_lease_s,
        done_ttl_s=worker.dedupe_ttl_s,
    )
    meta = MetaClient(transport, settings.meta)
    media = MediaIngest(
        store=store,
        signer=MediaLinkSigner(settings.media.link_secret),
        meta=meta.media,
        credentials=MetaAuthDirectory(tenancy.credentials, worker.tenant_cache_ttl_s),
        settings=settings.media,
    )
    local_pacer = pacer_from(settings.pacing)
    pacer: CallPacer = local_pacer
    if settings.pacing.shared:
        pacer = SharedPacer(
            resources.redis,
            local_pacer.budgets,
            key_prefix=settings.tenancy.redis_prefix,
            fallback=local_pacer,
        )
    forwarder = Forwarder(
        pool=resources.postgres,
        tenants=tenants,
        claims=claims,
        quota=tenancy.quota,
        genesys=genesys,
        media=media,
        pacer=pacer,
        in_doubt_settle_s=settings.worker.in_doubt_settle_s,
    )
    return WorkerClients(
        resources=resources,
        tenancy=tenancy,
        transport=transport,
        genesys=genesys,
        meta=meta,
        tenants=tenants,
        claims=claims,
        forwarder=forwarder,
        pacer=pacer,
        side=_side_events(resources, tenancy, tenants, claims, genesys, pacer),
    )


def _side_events(
    resources: Resources,
    tenancy: Tenancy,
    tenants: TenantDirectory,
    claims: ClaimStore,
    genesys: GenesysClient,
    pacer: CallPacer,
) -> SideEvents:
    """The handlers of echoes, calls, preferences and pricing (:mod:`.side_events`)."""
    caller = GenesysCaller(pacer, tenants)
    pool = resources.postgres
    return SideEvents(
        echoes=EchoForwarder(pool, tenants, claims, tenancy.quota, genesys, caller),
        calls=CallHandler(pool, tenants, claims, genesys, caller),
        accounting=Accounting(pool, tenants),
    )
