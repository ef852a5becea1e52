"""The in-doubt mark of a delivery claim in PostgreSQL (``message_tracking.sending_since``).

A claim taken over from a holder that never reported an outcome is in doubt; a failure
Genesys answered clears the doubt; a call with no answer keeps it, restarting its clock.
"""

from __future__ import annotations

import uuid

import asyncpg

from pipeline.store import tracking
from pipeline.store.tracking import ClaimRefusal, ClaimRow
from tenancy.db.scope import platform_tx, tenant_tx


async def _tenant(pool: asyncpg.Pool) -> str:
    tenant_id = f"doubt{uuid.uuid4().hex[:12]}"
    async with platform_tx(pool) as conn:
        await conn.execute(
            "INSERT INTO tenants (tenant_id, name) VALUES ($1, 'In doubt')", tenant_id
        )
    return tenant_id


async def _claim(pool: asyncpg.Pool, tenant_id: str, lease_s: float) -> ClaimRow | ClaimRefusal:
    async with tenant_tx(pool, tenant_id) as conn:
        return await tracking.claim(conn, tenant_id, "inbound", "wamid.D", "15550001", lease_s)


async def _expire_lease(pool: asyncpg.Pool, tenant_id: str) -> None:
    """What the clock does to a dead holder's lease."""
    async with tenant_tx(pool, tenant_id) as conn:
        await conn.execute(
            "UPDATE message_tracking SET claimed_until = now() - interval '1 second', "
            "sending_since = sending_since - interval '30 seconds' WHERE tenant_id = $1",
            tenant_id,
        )


async def test_a_claim_taken_over_from_a_dead_holder_is_in_doubt(pool: asyncpg.Pool) -> None:
    tenant_id = await _tenant(pool)
    first = await _claim(pool, tenant_id, 60)
    assert first == ClaimRow(quota_counted=False, doubt_age_s=None)
    busy = await _claim(pool, tenant_id, 60)
    assert isinstance(busy, ClaimRefusal)
    assert not busy.done
    assert busy.lease_left_s > 50

    await _expire_lease(pool, tenant_id)  # the holder died mid-call
    taken = await _claim(pool, tenant_id, 60)
    assert isinstance(taken, ClaimRow)
    assert taken.doubt_age_s is not None
    assert taken.doubt_age_s >= 30


async def test_an_answered_failure_clears_the_doubt_and_a_silent_one_restarts_it(
    pool: asyncpg.Pool,
) -> None:
    tenant_id = await _tenant(pool)
    await _claim(pool, tenant_id, 60)
    async with tenant_tx(pool, tenant_id) as conn:  # Genesys answered 503: nothing accepted
        await tracking.release(conn, tenant_id, "inbound", "wamid.D", answered=True)
    clean = await _claim(pool, tenant_id, 60)
    assert clean == ClaimRow(quota_counted=False, doubt_age_s=None)

    async with tenant_tx(pool, tenant_id) as conn:  # no answer: Genesys may have it
        await tracking.release(conn, tenant_id, "inbound", "wamid.D", answered=False)
    doubted = await _claim(pool, tenant_id, 60)
    assert isinstance(doubted, ClaimRow)
    assert doubted.doubt_age_s is not None
    assert doubted.doubt_age_s < 5

    async with tenant_tx(pool, tenant_id) as conn:
        await tracking.sent(tenant_id, "inbound", "wamid.D", "genesys-1").run(conn)
        left = await conn.fetchval(
            "SELECT sending_since FROM message_tracking WHERE tenant_id = $1", tenant_id
        )
    assert left is None
    duplicate = await _claim(pool, tenant_id, 60)
    assert isinstance(duplicate, ClaimRefusal)
    assert duplicate.done
