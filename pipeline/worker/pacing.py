"""Per-tenant pacing of vendor calls: a token bucket per (destination, tenant or number).

Genesys allows about 300 requests a minute per OAuth client and Meta about 80 messages a
second per phone number. Going over earns a 429, which costs a trip through the retry topic
and, worse, lets the order of a conversation's messages depend on who retried when. So the
worker waits for a token *before* a call: a tenant over its budget queues, it does not fail.

Waiting is cheap for everybody else because the agents run records of different
conversations concurrently (:mod:`pipeline.worker.scheduler`): a paced tenant's records wait
in their own tasks while other tenants' records go past them.

These buckets live in process; :mod:`pipeline.worker.shared_pacing` keeps the same buckets in
Redis so that all workers share one budget per tenant (the default), and falls back to these
while Redis is unreachable. A 429 remains a retry either way (and empties the bucket for its
``Retry-After``, so the tenant's other calls back off too). Per-tenant budgets come from
settings today (``WAGEN_PACING_GENESYS_OVERRIDES``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pipeline.metrics import record as metrics

Destination = Literal["genesys", "meta"]


class CallPacer(Protocol):
    """What the forwarders need of a pacer (in-process or Redis-shared)."""

    async def acquire(self, destination: Destination, tenant_id: str, scope: str = "") -> None:
        """Wait for this call's turn in the tenant's budget."""

    async def hold(
        self, destination: Destination, tenant_id: str, seconds: float, scope: str = ""
    ) -> None:
        """The vendor said 429: hand out no token for ``seconds``."""


@dataclass
class TokenBucket:
    """A token bucket that hands out reservations: the caller learns how long to wait.

    Tokens may go negative: each reservation takes one at once and waits for the debt to be
    repaid. Callers are therefore served in the order they asked, with no lock and no
    polling, and the long-run rate never exceeds ``rate_per_s`` after the first ``burst``.

    Attributes:
        rate_per_s: tokens added per second.
        burst: the most tokens the bucket holds (calls allowed at once after a quiet spell).
    """

    rate_per_s: float
    burst: float
    tokens: float = field(init=False)
    updated: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError("a bucket needs a positive rate and a burst of at least 1")
        self.tokens = self.burst

    def _refill(self, now: float) -> None:
        if self.updated is not None and now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate_per_s)
        if self.updated is None or now > self.updated:
            self.updated = now

    def reserve(self, now: float) -> float:
        """Take one token; the seconds to wait before using it (0: at once)."""
        self._refill(now)
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate_per_s

    def hold(self, now: float, seconds: float) -> None:
        """Hand out nothing new for ``seconds`` (a vendor's ``Retry-After``)."""
        self._refill(now)
        self.tokens = min(self.tokens, 0.0) - seconds * self.rate_per_s


@dataclass(frozen=True)
class Budget:
    """The rate of one bucket."""

    rate_per_s: float
    burst: float


@dataclass(frozen=True)
class PacingBudgets:
    """The budgets the pacer gives each bucket.

    Attributes:
        genesys: per tenant, unless ``genesys_overrides`` names the tenant.
        meta: per phone number.
        genesys_overrides: tenant id → budget, for tenants whose Genesys limit was raised.
    """

    genesys: Budget
    meta: Budget
    genesys_overrides: Mapping[str, Budget] = field(default_factory=dict)

    def of(self, destination: Destination, tenant_id: str) -> Budget:
        """The budget of one bucket."""
        if destination == "meta":
            return self.meta
        return self.genesys_overrides.get(tenant_id, self.genesys)


class Pacer:
    """The worker's buckets, created on first use, one per (destination, tenant, scope).

    ``scope`` is the phone number id for Meta (Meta's limit is per number) and empty for
    Genesys (its limit is per OAuth client, one per tenant).
    """

    def __init__(self, budgets: PacingBudgets, clock: Callable[[], float] = time.monotonic) -> None:
        self.budgets = budgets
        self._clock = clock
        self._buckets: dict[tuple[Destination, str, str], TokenBucket] = {}

    def _bucket(self, destination: Destination, tenant_id: str, scope: str) -> TokenBucket:
        key = (destination, tenant_id, scope)
        bucket = self._buckets.get(key)
        if bucket is None:
            budget = self.budgets.of(destination, tenant_id)
            bucket = self._buckets[key] = TokenBucket(budget.rate_per_s, budget.burst)
        return bucket

    def reserve(self, destination: Destination, tenant_id: str, scope: str = "") -> float:
        """Take a token now; the seconds the caller must wait before its call."""
        return self._bucket(destination, tenant_id, scope).reserve(self._clock())

    async def acquire(self, destination: Destination, tenant_id: str, scope: str = "") -> None:
        """Wait for this call's turn in the tenant's budget."""
        wait = self.reserve(destination, tenant_id, scope)
        if wait > 0:
            metrics.paced(destination, tenant_id, wait)
            await asyncio.sleep(wait)

    async def hold(
        self, destination: Destination, tenant_id: str, seconds: float, scope: str = ""
    ) -> None:
        """The vendor said 429: hand out no token for ``seconds``."""
        self._bucket(destination, tenant_id, scope).hold(self._clock(), seconds)
