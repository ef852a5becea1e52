"""The batched outbound claims on the real database: the claim comes with who the customer
is now and their window; sends are recorded once; a dead holder's claim is taken over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from pipeline.store import identities, mappings
from pipeline.store.outbound_batch import (
    OutboundRelease,
    OutboundRequest,
    OutboundSent,
    OutboundStore,
)
from pipeline.store.worker_lease import WorkerLease
from schemas.events import CustomerIds
from tenancy.audit import Actor
from tenancy.db.scope import tenant_tx
from tenancy.models import TenantCreate
from tenancy.services import Tenancy

pytestmark = pytest.mark.connected

PHONE, BSUID = "5511987654321", "US.13491208655302741918"
NUMBER = "106540352242922"


@pytest.fixture
async def tenant(tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool) -> str:
    await tenancy.tenants.create(TenantCreate(tenant_id="acme", name="Acme"), admin)
    async with tenant_tx(pool, "acme") as conn:
        await identities.customer_key(conn, "acme", CustomerIds(wa_id=PHONE))
        await identities.customer_key(conn, "acme", CustomerIds(user_id=BSUID))
        await identities.customer_key(conn, "acme", CustomerIds(wa_id=PHONE, user_id=BSUID))
        await mappings.touching(
            "acme",
            PHONE,
            phone_number_id=NUMBER,
            contact_name="Ana",
            message_at=datetime.now(UTC),
            genesys_conversation_id=None,
        ).run(conn)
    return "acme"


@pytest.fixture
async def stores(pool: asyncpg.Pool) -> AsyncIterator[list[tuple[WorkerLease, OutboundStore]]]:
    pairs = []
    for label in ("worker-a", "worker-b"):
        lease = WorkerLease(pool, label, lease_s=30.0, renew_s=10.0)
        await lease.start()
        pairs.append((lease, OutboundStore(pool, lease.worker_id, max_wait_s=0.005)))
    yield pairs
    for lease, store in pairs:
        await store.close()
        await lease.stop()


async def test_the_claim_says_who_to_answer_and_from_which_number(
    tenant: str, stores: list[tuple[WorkerLease, OutboundStore]]
) -> None:
    (_, store), _ = stores
    # The agent answers the BSUID thread that was merged into the phone identity.
    claimed = await store.claim(OutboundRequest("acme", "g-1", BSUID))
    assert claimed.outcome == "claimed"
    assert (claimed.known.key, claimed.known.wa_id, claimed.known.user_id) == (PHONE, PHONE, BSUID)
    assert claimed.phone_number_id == NUMBER
    assert claimed.last_inbound_at is not None
    stranger = await store.claim(OutboundRequest("acme", "g-2", "15550000000"))
    assert (stranger.known.kind, stranger.phone_number_id) == (None, None)


async def test_a_sent_message_is_a_duplicate_and_counted_once(
    tenant: str, stores: list[tuple[WorkerLease, OutboundStore]], pool: asyncpg.Pool
) -> None:
    (_, first), (_, second) = stores
    await first.claim(OutboundRequest("acme", "g-3", PHONE))
    assert (await second.claim(OutboundRequest("acme", "g-3", PHONE))).outcome == "busy"
    await first.sent(OutboundSent("acme", "g-3", "wamid.out3", 1))
    assert (await second.claim(OutboundRequest("acme", "g-3", PHONE))).outcome == "duplicate"
    async with tenant_tx(pool, "acme") as conn:
        out = await conn.fetchval("SELECT value FROM usage_daily WHERE metric = 'messages_out'")
        wamid = await conn.fetchval(
            "SELECT wa_message_id FROM message_tracking WHERE genesys_message_id = 'g-3'"
        )
    assert (out, wamid) == (1, "wamid.out3")


async def test_a_released_or_orphaned_claim_is_taken_over_with_its_progress(
    tenant: str, stores: list[tuple[WorkerLease, OutboundStore]], pool: asyncpg.Pool
) -> None:
    (lease, first), (_, second) = stores
    await first.claim(OutboundRequest("acme", "g-4", PHONE))
    async with tenant_tx(pool, "acme") as conn:
        await conn.execute(
            "UPDATE message_tracking SET parts_sent = 2 WHERE genesys_message_id = 'g-4'"
        )
    await first.release(OutboundRelease("acme", "g-4"))
    resumed = await second.claim(OutboundRequest("acme", "g-4", PHONE))
    assert (resumed.outcome, resumed.parts_sent) == ("claimed", 2)
    await first.claim(OutboundRequest("acme", "g-5", PHONE))
    await pool.execute(
        "UPDATE worker_leases SET expires_at = now() - interval '1 second' WHERE worker_id = $1",
        lease.worker_id,
    )
    assert (await second.claim(OutboundRequest("acme", "g-5", PHONE))).outcome == "claimed"


async def test_racing_workers_claim_an_agent_message_exactly_once(
    tenant: str, stores: list[tuple[WorkerLease, OutboundStore]]
) -> None:
    (_, first), (_, second) = stores
    ids = [f"g-r{n}" for n in range(20)]
    results = await asyncio.gather(
        *(first.claim(OutboundRequest("acme", g, PHONE)) for g in ids),
        *(second.claim(OutboundRequest("acme", g, PHONE)) for g in reversed(ids)),
    )
    outcomes: dict[str, list[str]] = {}
    for result in results:
        outcomes.setdefault(result.genesys_message_id, []).append(result.outcome)
    assert all(sorted(found) == ["busy", "claimed"] for found in outcomes.values())
