"""What the worker's side handlers (echoes, call notices, callbacks) share with the forwarder:
the run-time facts a translation reads, and a Genesys call with the budget's side effects.

:func:`translation_facts` reads, in one tenant transaction, the tracked Genesys ids of the
wamids a translation may name and the customer's marketing choice (the routing context's
``wa_marketing_opt_out``). :class:`GenesysCaller` makes one Genesys call the way the
forwarder does: a budget token first, the tenant's budget held back on a 429, cached
credentials dropped on a refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg

from connectors.genesys.errors import GenesysCredentialsError, GenesysRateLimitedError
from connectors.genesys.token import GenesysTenant
from connectors.translate import GenesysTarget, MediaLinker
from pipeline.store import preferences, tracking
from pipeline.worker.pacing import CallPacer
from pipeline.worker.tenants import TenantDirectory
from tenancy.db.scope import tenant_tx

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TranslationFacts:
    """Tracked Genesys ids by wamid, and the customer's marketing choice (``None``: never)."""

    genesys_ids: dict[str, str] = field(default_factory=dict)
    marketing_opt_out: bool | None = None

    def target(
        self, integration_id: str, media_url: MediaLinker, *, customer_key: str | None = None
    ) -> GenesysTarget:
        """The translation context these facts answer (``customer_key``: the customer's stable
        key from the identity store)."""
        choice = self.marketing_opt_out
        return GenesysTarget(
            integration_id=integration_id,
            media_url=media_url,
            genesys_message_id=self.genesys_ids.get,
            marketing_opt_out=lambda _customer: choice,
            customer_key=customer_key,
        )


async def translation_facts(
    pool: asyncpg.Pool, tenant_id: str, customer: str, wamids: Iterable[str]
) -> TranslationFacts:
    """Both lookups of a translation in one tenant transaction."""
    wanted = frozenset(wamids)
    async with tenant_tx(pool, tenant_id) as conn:
        known = await tracking.genesys_ids(conn, tenant_id, wanted) if wanted else {}
        choice = await preferences.marketing_opted_out(conn, tenant_id, [customer])
    return TranslationFacts(known, choice)


@dataclass(frozen=True)
class GenesysCaller:
    """Runs Genesys calls within the tenant's budget (see the module docstring)."""

    pacer: CallPacer
    tenants: TenantDirectory

    async def __call__(
        self, target: GenesysTenant, call: Callable[[], Awaitable[T]], *, paced: bool = False
    ) -> T:
        """``call()``; ``paced`` when its budget token was taken already."""
        if not paced:
            await self.pacer.acquire("genesys", target.tenant_id)
        try:
            return await call()
        except GenesysRateLimitedError as exc:
            # Other workers share the budget, or it is lower than configured: back off too.
            await self.pacer.hold("genesys", target.tenant_id, exc.retry_after or 1.0)
            raise
        except GenesysCredentialsError:
            # Maybe rotated in Vault since we cached them: read them again next time.
            self.tenants.forget(target.tenant_id)
            raise
