"""The delivery claim: at most one worker carries a WhatsApp message, and only once.

Meta retries a webhook for days and Kafka redelivers after a crash or a rebalance, so the
same message reaches the worker several times, sometimes concurrently. Before any side
effect the worker takes a claim on (tenant, direction, message id):

1. **Redis** ``SET NX`` with a lease: the cheap gate. A key saying ``done`` drops a
   duplicate without touching PostgreSQL; a key held by someone else means the message is
   in flight elsewhere (:class:`~pipeline.store.errors.ClaimBusyError`, retried later).
2. **PostgreSQL**, the truth: the unique row in ``message_tracking``, inserted or taken over
   (unfinished, lease expired) atomically. A row already carried is a duplicate even when
   Redis was flushed; a row leased by another worker is busy.

After the effect, :meth:`ClaimStore.completion` runs inside the caller's transaction (which
records the result) and Redis remembers ``done``; on failure :meth:`ClaimStore.release`
frees both, so the retry need not wait for the lease. If the worker dies mid-call the lease
runs out and the next copy takes over; the row still marked ``sending_since`` tells it the
message is *in doubt* (:attr:`Claim.in_doubt`): Genesys may have accepted it, so the
forwarder asks Genesys before sending again (:mod:`pipeline.worker.reconcile`). A call that
timed out is released the same way, in doubt.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar, Final

import asyncpg
from redis.asyncio import Redis

from pipeline.store import tracking
from pipeline.store.errors import ClaimBusyError
from pipeline.store.tracking import ClaimRefusal, Direction
from tenancy.db.scope import Connection, tenant_tx
from tenancy.db.statements import Statement

Identify = Callable[[Connection], Awaitable[str | None]]
"""Finds (or makes) the customer's stable key inside the claim's own transaction."""

DONE: Final = b"done"

# Delete the key only if it still holds our token: a lease that ran out may be someone else's.
_RELEASE_SCRIPT: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLease:
    """The Redis half of a claim, shared by inbound and outbound claims.

    ``SET NX`` with a lease takes the gate; the value ``done`` turns duplicates away after
    delivery; the token makes a release touch only our own lease. PostgreSQL stays the truth:
    this only keeps the common case (first delivery, obvious duplicate) off the database.
    """

    def __init__(self, redis: Redis, *, lease_ms: int, done_ttl_ms: int, label: str) -> None:
        self._redis = redis
        self._lease_ms = lease_ms
        self._done_ttl_ms = done_ttl_ms
        self._label = label
        self._release_script = redis.register_script(_RELEASE_SCRIPT)

    async def take(self, key: str, message_id: str, tenant_id: str) -> str | None:
        """Our token, or ``None`` when the message is marked done (a duplicate).

        Raises:
            ClaimBusyError: another worker holds the lease now.
        """
        token = uuid.uuid4().hex
        if not await self._redis.set(key, token, nx=True, px=self._lease_ms):
            held = await self._redis.get(key)
            if held == DONE:
                return None
            if held is not None:
                left = await self._redis.pttl(key)
                raise ClaimBusyError(
                    f"{self._label} {message_id} is in flight on another worker",
                    retry_after=max(left, 0) / 1000,
                    tenant_id=tenant_id,
                )
            # The holder's key vanished between our calls: PostgreSQL decides.
            await self._redis.set(key, token, px=self._lease_ms)
        return token

    async def refused(
        self, key: str, token: str, refusal: ClaimRefusal, message_id: str, tenant_id: str
    ) -> None:
        """PostgreSQL said no: return for a duplicate, raise for a message in flight."""
        if refusal.done:
            # Redis lost the marker (flush, eviction, expiry): restore it for the next copy.
            await self.done(key)
            return
        await self.release(key, token)
        raise ClaimBusyError(
            f"{self._label} {message_id} is leased by another worker",
            retry_after=refusal.lease_left_s,
            tenant_id=tenant_id,
        )

    async def done(self, key: str) -> None:
        """Mark the message delivered, so later copies stop at Redis."""
        await self._redis.set(key, DONE, px=self._done_ttl_ms)

    async def release(self, key: str, token: str) -> None:
        """Drop the lease if it is still ours."""
        await self._release_script(keys=[key], args=[token])


@dataclass(frozen=True)
class Claim:
    """A claim held on one message.

    Attributes:
        customer: the customer the message is tracked under (their stable key).
        quota_counted: the plan quota was already charged by an earlier attempt.
        doubt_age_s: set when an earlier holder may have had the message accepted without
            recording it (it died mid-call, or its call got no answer): check with the
            vendor before sending; seconds since that holder claimed it or gave up.
    """

    tenant_id: str
    direction: Direction
    message_id: str
    token: str
    quota_counted: bool
    doubt_age_s: float | None = None
    customer: str = ""

    @property
    def in_doubt(self) -> bool:
        """The vendor may have the message already."""
        return self.doubt_age_s is not None


class LeasedClaims:
    """What every claim store holds: the pool (the truth), the Redis lease (the gate), the
    key prefix and the lease length; ``label`` names the claimed thing in busy errors."""

    label: ClassVar[str]

    def __init__(
        self,
        pool: asyncpg.Pool,
        redis: Redis,
        *,
        key_prefix: str,
        lease_s: float,
        done_ttl_s: float,
    ) -> None:
        self._pool = pool
        self._prefix = key_prefix
        self._lease_s = lease_s
        self._lease = RedisLease(
            redis,
            lease_ms=int(lease_s * 1000),
            done_ttl_ms=int(done_ttl_s * 1000),
            label=self.label,
        )


class ClaimStore(LeasedClaims):
    """Takes, completes and releases delivery claims (Redis gate + PostgreSQL truth)."""

    label = "message"

    def key(self, tenant_id: str, direction: Direction, message_id: str) -> str:
        """The Redis key of one claim."""
        return f"{self._prefix}claim:{tenant_id}:{direction}:{message_id}"

    async def claim(
        self,
        tenant_id: str,
        direction: Direction,
        message_id: str,
        wa_id: str,
        *,
        identify: Identify | None = None,
    ) -> Claim | None:
        """Take the claim; ``None`` when the message was carried already (a duplicate).

        ``identify``, when given, names the customer in the same transaction (learning the
        links between their ids even on a retry); ``wa_id`` is the fallback.

        Raises:
            ClaimBusyError: another worker holds it now.
        """
        key = self.key(tenant_id, direction, message_id)
        token = await self._lease.take(key, message_id, tenant_id)
        if token is None:
            return None
        try:
            async with tenant_tx(self._pool, tenant_id) as conn:
                if identify is not None:
                    wa_id = await identify(conn) or wa_id
                taken = await tracking.claim(
                    conn, tenant_id, direction, message_id, wa_id, self._lease_s
                )
        except BaseException:
            await self._lease.release(key, token)
            raise
        if isinstance(taken, ClaimRefusal):
            await self._lease.refused(key, token, taken, message_id, tenant_id)
            return None
        return Claim(
            tenant_id,
            direction,
            message_id,
            token,
            taken.quota_counted,
            taken.doubt_age_s,
            customer=wa_id,
        )

    def quota_counted_in(self, claim: Claim) -> Statement:
        """The note, to commit with the quota's own record, that the message was charged."""
        return tracking.quota_counted(claim.tenant_id, claim.direction, claim.message_id)

    def completion(self, claim: Claim, genesys_message_id: str | None) -> Statement:
        """Marking the message carried, to run in the caller's tenant transaction."""
        return tracking.sent(claim.tenant_id, claim.direction, claim.message_id, genesys_message_id)

    async def remember_done(self, claim: Claim) -> None:
        """After the commit: let Redis turn later duplicates away cheaply."""
        await self._lease.done(self.key(claim.tenant_id, claim.direction, claim.message_id))

    async def release(self, claim: Claim, *, answered: bool = True) -> None:
        """Give the claim up after a failure, so a retry can take it at once.

        ``answered=False`` when the vendor may have acted on a call we got no answer to: the
        next holder then checks with the vendor first (``Claim.in_doubt``).
        """
        async with tenant_tx(self._pool, claim.tenant_id) as conn:
            await tracking.release(
                conn, claim.tenant_id, claim.direction, claim.message_id, answered=answered
            )
        key = self.key(claim.tenant_id, claim.direction, claim.message_id)
        await self._lease.release(key, claim.token)
