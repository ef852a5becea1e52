"""Marketing preferences, priced messages and the callback queue on the real stores (RLS).

* a customer's choice is recorded per tenant, the newest one wins, and a proactive send to a
  customer who stopped is refused with ``RecipientOptedOut``;
* a message Meta priced is counted once per category (billable or not), and the usage API,
  the stats and ``wagen tenants usage`` show it;
* the tenant's callback queue is set and cleared through the admin API and the CLI.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from connectors.genesys.errors import GenesysReceiptReason
from pipeline.settings import WagenSettings
from pipeline.store import preferences
from pipeline.store.errors import RecipientOptedOutError
from pipeline.store.outbound import OutboundFailure
from pipeline.worker.outbound_policy import failed_receipt, receipt_reason
from tenancy import usage
from tenancy.audit import Actor
from tenancy.db.scope import tenant_tx
from tenancy.models import TenantCreate
from tenancy.services import Tenancy
from tests.integration.tenancy.conftest import ADMIN, Client, create_tenant
from tests.integration.tenancy.test_cli import _rows, _wagen

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
QUEUE = "3b1f6d9c-6f55-4ad4-9d6e-4e0c1f0f2a11"


async def two_tenants(tenancy: Tenancy, admin: Actor) -> None:
    for tenant in ("alpha", "beta"):
        await tenancy.tenants.create(TenantCreate(tenant_id=tenant, name=tenant), admin)


async def choose(pool: asyncpg.Pool, tenant: str, customer: str, value: str, at: datetime) -> bool:
    async with tenant_tx(pool, tenant) as conn:
        return await preferences.record(
            conn,
            tenant,
            customer,
            category=preferences.MARKETING,
            opted_out=value == "stop",
            choice=value,
            detail=f"User requested to {value} marketing messages",
            chosen_at=at,
        )


async def opted_out(pool: asyncpg.Pool, tenant: str, *customers: str) -> bool | None:
    async with tenant_tx(pool, tenant) as conn:
        return await preferences.marketing_opted_out(conn, tenant, customers)


async def test_the_newest_choice_wins_whatever_the_order_of_arrival(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await two_tenants(tenancy, admin)
    assert await opted_out(pool, "alpha", "15550001") is None
    assert await choose(pool, "alpha", "15550001", "stop", WHEN)
    assert await opted_out(pool, "alpha", "15550001") is True
    # A replayed older "resume" does not undo the later "stop".
    assert not await choose(pool, "alpha", "15550001", "resume", WHEN - timedelta(hours=1))
    assert await opted_out(pool, "alpha", "15550001") is True
    assert await choose(pool, "alpha", "15550001", "resume", WHEN + timedelta(hours=1))
    assert await opted_out(pool, "alpha", "15550001") is False


async def test_a_proactive_send_to_a_customer_who_stopped_is_refused_recipient_opted_out(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await two_tenants(tenancy, admin)
    await choose(pool, "alpha", "15550001", "stop", WHEN)
    async with tenant_tx(pool, "alpha") as conn:
        with pytest.raises(RecipientOptedOutError) as caught:
            await preferences.ensure_marketing_allowed(conn, "alpha", ["15550001"])
        # Known under several ids (a phone and a business-scoped id): any of them counts.
        with pytest.raises(RecipientOptedOutError):
            await preferences.ensure_marketing_allowed(conn, "alpha", ["US.1", "15550001"])
        await preferences.ensure_marketing_allowed(conn, "alpha", ["15559999"])
    error = caught.value
    assert (error.code, error.retriable, error.tenant_id) == ("recipient_opted_out", False, "alpha")
    # The agent's Failed receipt would say so in Genesys's own words.
    code, message = receipt_reason(error)
    assert code is GenesysReceiptReason.RECIPIENT_OPTED_OUT
    failure = OutboundFailure(code.value, message, error.code, str(error), dead_letter=False)
    receipt = failed_receipt("g-1", "15550001", failure, WHEN)
    assert receipt.reasons is not None
    assert receipt.reasons[0].code == "RecipientOptedOut"
    # And the other tenant's customer with the same number is not concerned.
    async with tenant_tx(pool, "beta") as conn:
        await preferences.ensure_marketing_allowed(conn, "beta", ["15550001"])


async def test_preferences_and_pricing_rows_are_isolated_per_tenant(
    tenancy: Tenancy, admin: Actor, pool: asyncpg.Pool
) -> None:
    await two_tenants(tenancy, admin)
    await choose(pool, "alpha", "15550001", "stop", WHEN)
    async with tenant_tx(pool, "alpha") as conn:
        await usage.count_pricing(
            conn, "alpha", "wamid.A", category="marketing", billable=True,
            pricing_model="PMP", pricing_type="regular", day=WHEN.date(),
        )  # fmt: skip
    async with tenant_tx(pool, "beta") as conn:
        for table in ("customer_preferences", "message_pricing"):
            # No WHERE: the policy alone hides alpha's rows.
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0  # noqa: S608
    async with tenant_tx(pool, "alpha") as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                "INSERT INTO customer_preferences "
                "(tenant_id, customer, category, opted_out, choice, chosen_at) "
                "VALUES ('beta', '1', 'marketing_messages', true, 'stop', now())"
            )


async def count(
    pool: asyncpg.Pool, wamid: str, category: str | None, billable: bool, day: date
) -> bool:
    async with tenant_tx(pool, "alpha") as conn:
        return await usage.count_pricing(
            conn,
            "alpha",
            wamid,
            category=category,
            billable=billable,
            pricing_model="PMP",
            pricing_type=None,
            day=day,
        )


async def test_a_priced_message_is_counted_once_per_category_and_shown_everywhere(
    client: Client,
    tenancy: Tenancy,
    admin: Actor,
    pool: asyncpg.Pool,
    tenancy_settings: WagenSettings,
) -> None:
    key = await create_tenant(client, "alpha")
    today = usage.today()
    # "sent" then "delivered" of one message both carry pricing, and Meta redelivers.
    assert await count(pool, "wamid.M1", "marketing", True, today)
    assert not await count(pool, "wamid.M1", "marketing", True, today)
    assert await count(pool, "wamid.M2", "marketing", True, today)
    assert await count(pool, "wamid.S1", "service", False, today)
    assert await count(pool, "wamid.O1", "Weird Category!", True, today)
    expected = {
        "marketing": {"messages": 2, "billable": 2},
        "other": {"messages": 1, "billable": 1},
        "service": {"messages": 1, "billable": 0},
    }
    report = await (await client.get("/tenants/alpha/usage", headers=ADMIN)).json()
    assert report["pricing"] == expected
    assert report["totals"]["priced:marketing"] == 2
    assert report["totals"]["billable:marketing"] == 2
    assert "billable:service" not in report["totals"]
    stats = await (await client.get("/state/stats", headers={"X-API-Key": key})).json()
    assert stats["monthPricing"] == expected
    code, out, _ = await _wagen(tenancy_settings, "usage", "alpha", "--json")
    assert code == 0
    [printed] = _rows(out)
    assert printed["pricing"] == expected
    code, out, _ = await _wagen(tenancy_settings, "usage", "alpha")
    assert code == 0
    assert "  pricing marketing: messages=2 billable=2" in out.splitlines()
    assert "  pricing service: messages=1 billable=0" in out.splitlines()


async def test_the_callback_queue_is_set_and_cleared_by_api_and_cli(
    client: Client, tenancy_settings: WagenSettings
) -> None:
    await create_tenant(client, "alpha")
    patched = await client.patch("/tenants/alpha", json={"callbackQueueId": QUEUE}, headers=ADMIN)
    assert patched.status == 200, await patched.text()
    assert (await patched.json())["callbackQueueId"] == QUEUE
    bad = await client.patch("/tenants/alpha", json={"callbackQueueId": "a b/c"}, headers=ADMIN)
    assert bad.status == 400
    cleared = await client.patch("/tenants/alpha", json={"callbackQueueId": None}, headers=ADMIN)
    assert (await cleared.json())["callbackQueueId"] is None
    code, out, _ = await _wagen(tenancy_settings, "callbacks", "alpha", "--queue", QUEUE)
    assert (code, out.strip()) == (0, f"alpha: callbacks queue {QUEUE}")
    shown = await (await client.get("/tenants/alpha", headers=ADMIN)).json()
    assert shown["callbackQueueId"] == QUEUE
    code, out, _ = await _wagen(tenancy_settings, "callbacks", "alpha", "--off")
    assert (code, out.strip()) == (0, "alpha: callbacks off")
    code, _, err = await _wagen(tenancy_settings, "callbacks", "alpha")
    assert code == 2
    assert "give either --queue QUEUE_ID or --off" in err
