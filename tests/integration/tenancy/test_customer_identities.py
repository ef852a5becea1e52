"""The identity store on the real database: one stable key per customer, whatever ids a
webhook carries, through number and BSUID changes, merges, recycled numbers and races."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from pipeline.store import identities
from schemas.events import CustomerIds
from tenancy.audit import Actor
from tenancy.db.scope import tenant_tx
from tenancy.models import TenantCreate
from tenancy.services import Tenancy

pytestmark = pytest.mark.connected

PHONE, BSUID = "5511987654321", "US.13491208655302741918"
NEW_PHONE, NEW_BSUID = "5511900000000", "US.99887766554433221100"
GROUP = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD"


@pytest.fixture
async def tenant(tenancy: Tenancy, admin: Actor) -> str:
    await tenancy.tenants.create(TenantCreate(tenant_id="acme", name="Acme"), admin)
    await tenancy.tenants.create(TenantCreate(tenant_id="other", name="Other"), admin)
    return "acme"


async def key(pool: asyncpg.Pool, ids: CustomerIds, tenant: str = "acme") -> str | None:
    async with tenant_tx(pool, tenant) as conn:
        return await identities.customer_key(conn, tenant, ids)


async def known(pool: asyncpg.Pool, customer: str) -> identities.KnownCustomer:
    async with tenant_tx(pool, "acme") as conn:
        return await identities.known_customer(conn, "acme", customer)


async def test_a_number_learnt_with_a_bsuid_keeps_one_key_for_bsuid_only_messages(
    pool: asyncpg.Pool, tenant: str
) -> None:
    assert await key(pool, CustomerIds(wa_id=PHONE)) == PHONE
    assert await key(pool, CustomerIds(wa_id=PHONE, user_id=BSUID, username="ana")) == PHONE
    assert await key(pool, CustomerIds(user_id=BSUID)) == PHONE  # no number, same person
    found = await known(pool, PHONE)
    assert (found.kind, found.wa_id, found.user_id) == ("person", PHONE, BSUID)


async def test_a_customer_first_seen_by_bsuid_keeps_the_bsuid_as_key(
    pool: asyncpg.Pool, tenant: str
) -> None:
    assert await key(pool, CustomerIds(user_id=BSUID)) == BSUID
    assert await key(pool, CustomerIds(wa_id=PHONE, user_id=BSUID)) == BSUID
    assert await key(pool, CustomerIds(wa_id=PHONE)) == BSUID
    assert (await known(pool, BSUID)).wa_id == PHONE


async def test_two_identities_of_one_person_merge_into_the_older(
    pool: asyncpg.Pool, tenant: str
) -> None:
    assert await key(pool, CustomerIds(wa_id=PHONE)) == PHONE
    assert await key(pool, CustomerIds(user_id=BSUID)) == BSUID  # not linked yet: two
    assert await key(pool, CustomerIds(wa_id=PHONE, user_id=BSUID)) == PHONE  # the older
    assert await key(pool, CustomerIds(user_id=BSUID)) == PHONE
    merged = await known(pool, BSUID)  # an agent still answering the other conversation
    assert (merged.key, merged.wa_id, merged.user_id) == (PHONE, PHONE, BSUID)


async def test_a_number_change_moves_the_ids_and_keeps_the_key(
    pool: asyncpg.Pool, tenant: str
) -> None:
    await key(pool, CustomerIds(wa_id=PHONE, user_id=BSUID))
    async with tenant_tx(pool, "acme") as conn:
        changed = await identities.customer_changed(
            conn,
            "acme",
            CustomerIds(wa_id=PHONE, user_id=BSUID),
            new_wa_id=NEW_PHONE,
            new_user_id=NEW_BSUID,
        )
    assert changed == PHONE
    found = await known(pool, PHONE)
    assert (found.wa_id, found.user_id) == (NEW_PHONE, NEW_BSUID)
    assert await key(pool, CustomerIds(wa_id=NEW_PHONE, user_id=NEW_BSUID)) == PHONE


async def test_a_message_racing_the_number_change_is_absorbed_by_it(
    pool: asyncpg.Pool, tenant: str
) -> None:
    await key(pool, CustomerIds(wa_id=PHONE, user_id=BSUID))
    # The first message from the new number was handled before the change notice.
    assert await key(pool, CustomerIds(wa_id=NEW_PHONE, user_id=NEW_BSUID)) == NEW_PHONE
    async with tenant_tx(pool, "acme") as conn:
        await identities.customer_changed(
            conn, "acme", CustomerIds(wa_id=PHONE), new_wa_id=NEW_PHONE, new_user_id=NEW_BSUID
        )
    assert await key(pool, CustomerIds(wa_id=NEW_PHONE)) == PHONE
    assert (await known(pool, NEW_PHONE)).key == PHONE


async def test_a_bsuid_change_keeps_the_key(pool: asyncpg.Pool, tenant: str) -> None:
    await key(pool, CustomerIds(user_id=BSUID))
    async with tenant_tx(pool, "acme") as conn:
        await identities.customer_changed(
            conn, "acme", CustomerIds(user_id=BSUID), new_wa_id=None, new_user_id=NEW_BSUID
        )
    assert await key(pool, CustomerIds(user_id=NEW_BSUID)) == BSUID


async def test_a_recycled_number_is_a_new_person_in_a_thread_of_their_own(
    pool: asyncpg.Pool, tenant: str
) -> None:
    await key(pool, CustomerIds(wa_id=PHONE, user_id=BSUID))
    # Someone else now has the number: Meta gives them a BSUID of their own.
    stranger = await key(pool, CustomerIds(wa_id=PHONE, user_id=NEW_BSUID))
    assert stranger == NEW_BSUID  # the number's key is taken: never the same Genesys thread
    assert (await known(pool, PHONE)).wa_id is None
    assert await key(pool, CustomerIds(user_id=BSUID)) == PHONE


async def test_concurrent_first_messages_agree_on_one_key(pool: asyncpg.Pool, tenant: str) -> None:
    keys = await asyncio.gather(
        *(key(pool, CustomerIds(wa_id=PHONE, user_id=BSUID)) for _ in range(8)),
        *(key(pool, CustomerIds(user_id=BSUID)) for _ in range(4)),
    )
    assert len(set(keys)) == 1


async def test_groups_are_identities_of_their_own(pool: asyncpg.Pool, tenant: str) -> None:
    ids = CustomerIds(wa_id=PHONE, user_id=BSUID, group_id=GROUP)
    assert await key(pool, ids) == GROUP
    assert (await known(pool, GROUP)).kind == "group"
    assert (await known(pool, "15550000000")).kind is None


async def test_identities_are_per_tenant_under_row_level_security(
    pool: asyncpg.Pool, tenant: str
) -> None:
    await key(pool, CustomerIds(wa_id=PHONE, user_id=BSUID))
    assert await key(pool, CustomerIds(user_id=BSUID), tenant="other") == BSUID  # a stranger
    async with tenant_tx(pool, "other") as conn:
        rows = await conn.fetch("SELECT tenant_id, customer_key FROM customer_identities")
    assert [tuple(row) for row in rows] == [("other", BSUID)]
