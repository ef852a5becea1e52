"""Ownership of WhatsApp business numbers: one tenant per ``phone_number_id``.

A number is claimed when a tenant's Meta credentials are stored. The claim runs in the
platform scope because it must see other tenants' claims to refuse a number that is
already taken (row-level security would hide them from the tenant's own scope).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from tenancy.db.scope import platform_tx
from tenancy.errors import ConflictError


class PhoneNumberTakenError(ConflictError):
    """Another tenant already owns this business number."""

    code = "phone_number_taken"


@dataclass(frozen=True)
class NumberOwner:
    """The tenant a business number belongs to."""

    tenant_id: str
    waba_id: str | None


class PhoneNumberIndex:
    """Claims and looks up business numbers."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(self, tenant_id: str, phone_number_id: str, waba_id: str | None) -> None:
        """Record that ``tenant_id`` owns the number; refuse it if another tenant does."""
        async with platform_tx(self._pool) as conn:
            owner = await conn.fetchval(
                "INSERT INTO tenant_phone_numbers (phone_number_id, tenant_id, waba_id) "
                "VALUES ($1, $2, $3) "
                "ON CONFLICT (phone_number_id) DO UPDATE SET waba_id = EXCLUDED.waba_id, "
                "updated_at = now() WHERE tenant_phone_numbers.tenant_id = EXCLUDED.tenant_id "
                "RETURNING tenant_id",
                phone_number_id,
                tenant_id,
                waba_id,
            )
        if owner is None:
            raise PhoneNumberTakenError(
                f"phone number {phone_number_id} belongs to another tenant", tenant_id=tenant_id
            )

    async def owner(self, phone_number_id: str) -> NumberOwner | None:
        """Who owns the number, or None: never a guess."""
        async with platform_tx(self._pool) as conn:
            row = await conn.fetchrow(
                "SELECT tenant_id, waba_id FROM tenant_phone_numbers WHERE phone_number_id = $1",
                phone_number_id,
            )
        return NumberOwner(row["tenant_id"], row["waba_id"]) if row else None

    async def numbers_of(self, tenant_id: str) -> set[str]:
        """Every number the tenant owns."""
        async with platform_tx(self._pool) as conn:
            rows = await conn.fetch(
                "SELECT phone_number_id FROM tenant_phone_numbers WHERE tenant_id = $1", tenant_id
            )
        return {row["phone_number_id"] for row in rows}

    async def release(self, tenant_id: str, phone_number_id: str) -> None:
        """Give up the tenant's claim on a number (its Meta credentials were removed)."""
        async with platform_tx(self._pool) as conn:
            await conn.execute(
                "DELETE FROM tenant_phone_numbers WHERE phone_number_id = $1 AND tenant_id = $2",
                phone_number_id,
                tenant_id,
            )
