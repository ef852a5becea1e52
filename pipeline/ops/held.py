"""Held events: carried later, never dropped. Deciding when they may go, and releasing them.

The agents park an event on ``<topic>.held`` (``wa.events.held`` for customer messages,
``genesys.webhooks.held`` for agent replies) when its tenant cannot take it now (monthly
quota used up, credentials missing). An entry is released — published back to its source
topic — once its reason has lifted: the quota has room again (a new month, or a
bigger plan) or the credentials are in Vault. At most as many quota-held entries as the
quota has room for are released per pass, oldest first, so a release does not just park
the same events again. Each release is audited, and an entry released before is skipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg

from pipeline.kafka.topics import WA_EVENTS, held_topic
from pipeline.ops.dlq import DlqEntry, read_topic
from pipeline.ops.dlq_replay import entry_message
from pipeline.store import journey
from tenancy import usage
from tenancy.audit import Actor, record
from tenancy.db.scope import tenant_tx
from tenancy.errors import NotFoundError
from tenancy.services import Tenancy

QUOTA = "monthly_quota_exceeded"
CREDENTIALS = "credentials_missing"
_RELEASE_ACTION = "held.release"

Publish = Callable[[str, bytes | None, bytes, list[tuple[str, bytes]]], Awaitable[None]]
"""Stores one record (topic, key, value, headers) durably before returning."""


def held_reason(entry: DlqEntry) -> str:
    """Why the entry is held."""
    return entry.headers.get("held_reason", b"").decode()


def release_headers(entry: DlqEntry) -> list[tuple[str, bytes]]:
    """The event's own headers without the held marks, plus where it was released from."""
    kept = [(k, v) for k, v in entry.headers.items() if not k.startswith("held_")]
    return [*kept, ("released_from", entry.ref.encode())]


@dataclass(frozen=True)
class Release:
    """What happened to one held entry."""

    ref: str
    tenant_id: str
    outcome: str


class HeldReleaser:
    """Finds held entries whose reason has lifted and publishes them back to ``wa.events``."""

    def __init__(
        self,
        servers: list[str],
        pool: asyncpg.Pool,
        tenancy: Tenancy,
        publish: Publish,
        actor: Actor,
        source: str = WA_EVENTS,
        before_release: Callable[[str], None] | None = None,
    ) -> None:
        self._servers = servers
        self._pool = pool
        self._tenancy = tenancy
        self._publish_record = publish
        self._actor = actor
        self._source = source
        # The worker drops its cached view of the tenant, so the released event meets the
        # plan and credentials that made the release possible.
        self._before_release = before_release

    async def held(self, tenant: str | None = None) -> list[DlqEntry]:
        """Held entries (of one tenant), oldest first, not released before."""
        entries = [
            e
            async for e in read_topic(self._servers, held_topic(self._source))
            if tenant is None or e.tenant_id == tenant
        ]
        return [e for e in entries if e.tenant_id and not await self._released(e)]

    async def release(self, entries: Sequence[DlqEntry], *, force: bool = False) -> list[Release]:
        """Release what may go (everything given, with ``force``); report every entry."""
        room: dict[str, int | None] = {}
        done: list[Release] = []
        for entry in entries:
            reason = held_reason(entry)
            if not force:
                verdict = await self._may_go(entry, reason, room)
                if verdict is not None:
                    done.append(Release(entry.ref, entry.tenant_id, f"kept: {verdict}"))
                    continue
            await self._publish(entry, reason, force)
            done.append(Release(entry.ref, entry.tenant_id, f"released to {self._source}"))
        return done

    async def _may_go(
        self, entry: DlqEntry, reason: str, room: dict[str, int | None]
    ) -> str | None:
        """None when the entry may be released, else why not."""
        tenant = entry.tenant_id
        if reason == CREDENTIALS:
            for kind in ("meta", "genesys"):
                if await self._tenancy.credentials.read(tenant, kind) is None:
                    return f"{kind} credentials still missing"
            return None
        if reason != QUOTA:
            return f"reason {reason!r} needs an operator (use --force)"
        if tenant not in room:
            room[tenant] = await self._quota_room(tenant)
        left = room[tenant]
        if left is None:
            return None
        if left <= 0:
            return "monthly quota still used up"
        room[tenant] = left - 1
        return None

    async def _quota_room(self, tenant_id: str) -> int | None:
        try:
            tenant = await self._tenancy.tenants.get(tenant_id)
        except NotFoundError:
            return 0
        limit = self._tenancy.quota.limit_of(tenant_id, tenant.plan)
        if limit is None:
            return None
        today = usage.today()
        async with tenant_tx(self._pool, tenant_id) as conn:
            used = await usage.total(
                conn, tenant_id, usage.MESSAGES, usage.month_start(today), today
            )
        return limit - used

    async def _released(self, entry: DlqEntry) -> bool:
        async with tenant_tx(self._pool, entry.tenant_id) as conn:
            count = await conn.fetchval(
                "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = $2 "
                "AND target = $3",
                entry.tenant_id,
                _RELEASE_ACTION,
                entry.ref,
            )
        return bool(count)

    async def _publish(self, entry: DlqEntry, reason: str, forced: bool) -> None:
        if self._before_release is not None:
            self._before_release(entry.tenant_id)
        async with tenant_tx(self._pool, entry.tenant_id) as conn:
            await self._publish_record(self._source, entry.key, entry.value, release_headers(entry))
            await record(
                conn,
                self._actor,
                tenant_id=entry.tenant_id,
                action=_RELEASE_ACTION,
                target=entry.ref,
                details={"reason": reason, "forced": forced},
            )
            whose = entry_message(entry)
            if whose is not None:
                position = journey.Position(entry.topic, entry.partition, entry.offset)
                await journey.step(
                    entry.tenant_id,
                    whose[0],
                    whose[1],
                    "released",
                    journey.Mark.of(entry.headers, position, attempt=0),
                    {"to": self._source, "by": self._actor.label, "reason": reason},
                ).run(conn)
