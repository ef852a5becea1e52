"""Timer: release held events whose reason has lifted, without an operator.

Runs on the Faust leader only (one worker of the group), every
``WAGEN_WORKER_HELD_RELEASE_INTERVAL_S``; the release itself is ``pipeline.ops.held``'s, the
same code ``wagen held release`` runs, so both are audited alike.

A tick that fails (Vault, PostgreSQL or Kafka down) is logged and skipped: the next tick
tries again. A timer's exception would otherwise crash the whole worker, taking every
tenant's traffic down with one dependency.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

import faust

from pipeline.ops.held import HeldReleaser
from pipeline.settings import WagenSettings
from pipeline.worker.resources import WorkerResources
from pipeline.worker.routing import is_infrastructure
from schemas.errors import WagenError
from tenancy.audit import Actor

log = logging.getLogger(__name__)


async def guarded(tick: Callable[[], Awaitable[None]]) -> None:
    """Run one tick of a timer; a failure is logged, never raised (it would crash the app)."""
    try:
        await tick()
    except Exception as exc:
        if isinstance(exc, WagenError) or is_infrastructure(exc):
            log.warning("held release skipped until the next tick: %s", exc)
        else:
            log.exception("held release failed unexpectedly; trying again next tick")


def register_held_releaser(
    app: faust.App,
    resources: WorkerResources,
    sources: Mapping[str, faust.TopicT],
    settings: WagenSettings,
) -> None:
    """Attach the release timer to ``app``; ``sources`` maps each source topic name to it."""

    async def publish(
        topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        # Wait for the broker's ack: the audit entry must not claim a release that failed.
        pending = await sources[topic].send(key=key, value=value, headers=headers)
        await pending

    async def release_held_events() -> None:
        clients = resources.clients
        for source in sources:
            releaser = HeldReleaser(
                settings.kafka.servers,
                clients.resources.postgres,
                clients.tenancy,
                publish,
                Actor(label="worker:held-releaser", request_id=None),
                source,
                before_release=clients.tenants.forget_tenant,
            )
            results = await releaser.release(await releaser.held())
            released = [r for r in results if r.outcome.startswith("released")]
            if released:
                log.info("held events released", extra={"count": len(released), "topic": source})

    async def release_tick() -> None:
        await guarded(release_held_events)

    app.timer(settings.worker.held_release_interval_s, on_leader=True)(release_tick)
