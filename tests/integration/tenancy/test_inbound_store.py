"""The batched inbound claims on the real database: outcomes, leases tied to a live worker,
quota charged with the claim, several tenants per flush, and racing workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from pipeline.store.inbound import ClaimRequest, Delivered, IdChange, InboundStore, Release
from pipeline.store.worker_lease import WorkerLease
from schemas.events import CustomerIds
from tenancy.audit import Actor
from tenancy.db.scope import tenant_tx
from tenancy.models import TenantCreate
from tenancy.services import Tenancy

pytestmark = pytest.mark.connected

PHONE = "5511987654321"


@pytest.fixture
async def tenants(tenancy: Tenancy, admin: Actor) -> list[str]:
    names = ["acme", "globex"]
    for name in names:
        await tenancy.tenants.create(TenantCreate(tenant_id=name, name=name.title()), admin)
    return names


@pytest.fixture
async def workers(pool: asyncpg.Pool) -> AsyncIterator[list[tuple[WorkerLease, InboundStore]]]:
    pairs = []
    for label in ("worker-a", "worker-b"):
        lease = WorkerLease(pool, label, lease_s=30.0, renew_s=10.0)
        await lease.start()
        pairs.append((lease, InboundStore(pool, lease.worker_id, max_wait_s=0.005)))
    yield pairs
    for lease, store in pairs:
        await store.close()
        await lease.stop()


def request(tenant: str, message: str, *, limit: int | None = None) -> ClaimRequest:
    return ClaimRequest(
        tenant_id=tenant,
        message_id=message,
        fallback_customer=PHONE,
        ids=CustomerIds(wa_id=PHONE),
        quota_limit=limit,
    )


def delivered(tenant: str, message: str) -> Delivered:
    return Delivered(
        tenant_id=tenant,
        message_id=message,
        customer=PHONE,
        genesys_message_id=f"g-{message}",
        phone_number_id="106540352242922",
        contact_name="Ana",
        message_at=datetime.now(UTC),
        genesys_conversation_id="conv-1",
    )


async def test_a_message_is_claimed_once_and_a_delivered_one_is_a_duplicate(
    tenants: list[str], workers: list[tuple[WorkerLease, InboundStore]], pool: asyncpg.Pool
) -> None:
    (_, first), (_, second) = workers
    claim = await first.claim(request("acme", "wamid.1"))
    assert (claim.outcome, claim.customer, claim.quota_counted) == ("claimed", PHONE, True)
    busy = await second.claim(request("acme", "wamid.1"))
    assert busy.outcome == "busy"
    assert 25 < busy.left_s <= 30  # the holder's lease
    await first.delivered(delivered("acme", "wamid.1"))
    assert (await second.claim(request("acme", "wamid.1"))).outcome == "duplicate"
    async with tenant_tx(pool, "acme") as conn:
        row = await conn.fetchrow(
            "SELECT m.genesys_conversation_id, u.value FROM conversation_mappings m, usage_daily u "
            "WHERE m.wa_id = $1 AND u.metric = 'messages_in'",
            PHONE,
        )
    assert row is not None
    assert tuple(row) == ("conv-1", 1)


async def test_a_dead_workers_claims_free_when_its_lease_ends(
    tenants: list[str], workers: list[tuple[WorkerLease, InboundStore]], pool: asyncpg.Pool
) -> None:
    (lease, first), (_, second) = workers
    assert (await first.claim(request("acme", "wamid.2"))).outcome == "claimed"
    await pool.execute(
        "UPDATE worker_leases SET expires_at = now() - interval '1 second' WHERE worker_id = $1",
        lease.worker_id,
    )
    taken = await second.claim(request("acme", "wamid.2"))
    assert taken.outcome == "claimed"
    assert taken.doubt_age_s is not None  # the dead holder may have reached Genesys
    assert taken.quota_counted  # charged once, by the first attempt


async def test_a_released_claim_is_taken_at_once_and_in_doubt_only_when_unanswered(
    tenants: list[str], workers: list[tuple[WorkerLease, InboundStore]]
) -> None:
    (_, first), (_, second) = workers
    await first.claim(request("acme", "wamid.3"))
    await first.release(Release("acme", "wamid.3", answered=True))
    clean = await second.claim(request("acme", "wamid.3"))
    assert (clean.outcome, clean.doubt_age_s) == ("claimed", None)
    await second.release(Release("acme", "wamid.3", answered=False))
    doubtful = await first.claim(request("acme", "wamid.3"))
    assert doubtful.outcome == "claimed"
    assert doubtful.doubt_age_s is not None


async def test_the_quota_is_charged_with_the_claim_and_refuses_past_the_limit(
    tenants: list[str], workers: list[tuple[WorkerLease, InboundStore]], pool: asyncpg.Pool
) -> None:
    (_, store), _ = workers
    outcomes = [
        (await store.claim(request("acme", f"wamid.q{n}", limit=2))).outcome for n in range(3)
    ]
    assert outcomes == ["claimed", "claimed", "over_quota"]
    async with tenant_tx(pool, "acme") as conn:
        used = await conn.fetchval("SELECT value FROM usage_daily WHERE metric = 'messages'")
        unclaimed = await conn.fetchval(
            "SELECT claimed_by IS NULL FROM message_tracking WHERE wa_message_id = 'wamid.q2'"
        )
    assert (used, unclaimed) == (2, True)


async def test_one_flush_carries_many_tenants_and_answers_each_in_order(
    tenants: list[str], workers: list[tuple[WorkerLease, InboundStore]]
) -> None:
    (_, store), _ = workers
    asked = [request(tenants[n % 2], f"wamid.m{n}") for n in range(40)]
    claims = await asyncio.gather(*(store.claim(r) for r in asked))
    assert [(c.tenant_id, c.message_id) for c in claims] == [
        (r.tenant_id, r.message_id) for r in asked
    ]
    assert {c.outcome for c in claims} == {"claimed"}
    assert store.claims.stats.flushes < 5


async def test_racing_workers_claim_a_message_exactly_once(
    tenants: list[str], workers: list[tuple[WorkerLease, InboundStore]]
) -> None:
    (_, first), (_, second) = workers
    messages = [f"wamid.r{n}" for n in range(30)]
    results = await asyncio.gather(
        *(first.claim(request("acme", m)) for m in messages),
        *(second.claim(request("acme", m)) for m in reversed(messages)),
    )
    by_message: dict[str, list[str]] = {}
    for result in results:
        by_message.setdefault(result.message_id, []).append(result.outcome)
    assert all(sorted(found) == ["busy", "claimed"] for found in by_message.values())


async def test_a_number_change_in_a_batch_keeps_the_customer_key(
    tenants: list[str], workers: list[tuple[WorkerLease, InboundStore]]
) -> None:
    (_, store), _ = workers
    await store.claim(request("acme", "wamid.c1"))
    change = ClaimRequest(
        tenant_id="acme",
        message_id="wamid.c2",
        fallback_customer=PHONE,
        ids=CustomerIds(wa_id=PHONE),
        change=IdChange(new_wa_id="5511900000000", new_user_id="US.77"),
    )
    assert (await store.claim(change)).customer == PHONE
    later = ClaimRequest(
        tenant_id="acme",
        message_id="wamid.c3",
        fallback_customer="5511900000000",
        ids=CustomerIds(wa_id="5511900000000", user_id="US.77"),
    )
    assert (await store.claim(later)).customer == PHONE
