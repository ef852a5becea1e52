"""The bookkeeping webhooks: marketing preferences recorded, priced messages counted.

Neither reaches Genesys. A ``user_preferences`` change is stored per customer
(:mod:`pipeline.store.preferences`): later messages carry it in their routing context, and
proactive sends must check it. A status's ``pricing`` is counted once per message in the
tenant's usage, per category and billable or not (:func:`tenancy.usage.count_pricing`), on the
UTC day of the status; the status then goes on to the forwarder for its receipt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import asyncpg

from pipeline.store import preferences
from pipeline.worker.tenants import TenantDirectory
from schemas.events import PreferenceChanged, StatusReceived
from tenancy import usage
from tenancy.db.scope import tenant_tx

log = logging.getLogger(__name__)

PreferenceResult = Literal["preference_recorded", "preference_stale", "preference_ignored"]


@dataclass(frozen=True)
class Accounting:
    """Records preferences and counts pricing for every tenant (one per worker)."""

    pool: asyncpg.Pool
    tenants: TenantDirectory

    async def preference(self, event: PreferenceChanged) -> PreferenceResult:
        """Store the customer's choice unless a newer one is stored."""
        choice = event.payload
        opted_out = choice.marketing_opt_out
        if opted_out is None:
            log.info(
                "preference of an unknown category or value: not recorded",
                extra={"tenant_id": event.tenant_id, "category": choice.category},
            )
            return "preference_ignored"
        await self.tenants.active(event.tenant_id)
        async with tenant_tx(self.pool, event.tenant_id) as conn:
            stored = await preferences.record(
                conn,
                event.tenant_id,
                event.customer,
                category=choice.category,
                opted_out=opted_out,
                choice=choice.value,
                detail=choice.detail,
                chosen_at=event.timestamp,
            )
        return "preference_recorded" if stored else "preference_stale"

    async def pricing(self, event: StatusReceived) -> bool:
        """Count the status's pricing, if it has one; whether this status counted it."""
        pricing = event.payload.pricing
        if pricing is None:
            return False
        await self.tenants.active(event.tenant_id)
        async with tenant_tx(self.pool, event.tenant_id) as conn:
            return await usage.count_pricing(
                conn,
                event.tenant_id,
                event.message_id,
                category=pricing.category,
                billable=bool(pricing.billable),
                pricing_model=pricing.pricing_model,
                pricing_type=pricing.type,
                day=event.timestamp.date(),
            )
