"""Calls, business-app echoes, marketing preferences and pricing, end to end: the Meta simulator
signs each webhook and posts it to a real ``wagen gateway`` process, which stores it on Kafka;
a real ``wagen worker`` process carries it to the Genesys simulator or into PostgreSQL.

* a customer's WhatsApp call becomes one notice in their conversation and, for a tenant with a
  callback queue, one Genesys callback, however often Meta reports it, and even when the
  callback's answer is lost;
* what the business sends from the WhatsApp Business app reaches the agent marked as the
  business's, and opens no customer-service window (an agent reply after it is refused);
* a customer's marketing stop is recorded, rides along with their next message as routing
  context, and refuses proactive sends; statuses' pricing shows in the tenant's usage.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import asyncpg
import pytest

from connectors.sandbox.common import FailureRule
from connectors.sandbox.genesys_state import IntegrationConfig, QueueConfig
from connectors.signatures import SIGNATURE_HEADER, sign_meta
from connectors.translate.echoes import ECHO_LINE
from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, retry_topic
from pipeline.settings import WagenSettings
from pipeline.store import preferences
from pipeline.store.errors import RecipientOptedOutError
from tenancy.db.scope import tenant_tx
from tenancy.models import TenantPatch
from tenancy.services import Tenancy
from tests.conftest import free_port
from tests.integration.acceptance.stack import (
    ACTOR,
    OUTBOUND_SECRET,
    Genesys,
    Tenant,
    Tenants,
    Workers,
    wait_caught_up,
)
from tests.integration.tenancy.conftest import ADMIN, ADMIN_TOKEN, TEST_PLANS
from tests.integration.wagen_process import wagen
from tests.integration.worker.harness import MetaSim

CUSTOMER = "5511987650001"
QUEUE = "8f6e2a40-3c1b-4e7a-9b55-0d2f7c6a1e93"
WAIT_S = 45.0

T = TypeVar("T")


@pytest.fixture
async def gateway(tenancy_settings: WagenSettings) -> AsyncIterator[str]:
    """``wagen gateway`` on a free port over the test's stores; its base URL once healthy.

    It must exit cleanly at the end, having answered nothing with an unhandled error.
    """
    port = free_port()
    plans = {name: plan.model_dump() for name, plan in TEST_PLANS.items()}
    env = {
        "WAGEN_GATEWAY_PORT": str(port),
        "WAGEN_POSTGRES_DSN": tenancy_settings.postgres.dsn.get_secret_value(),
        "WAGEN_TENANCY_REDIS_PREFIX": tenancy_settings.tenancy.redis_prefix,
        "WAGEN_TENANCY_PLANS": json.dumps(plans),
        "WAGEN_VAULT_TENANT_PREFIX": tenancy_settings.vault.tenant_prefix,
        "WAGEN_ADMIN_TOKEN": ADMIN_TOKEN,
        "WAGEN_LOG_LEVEL": "WARNING",
    }
    process = wagen("gateway", env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        async with asyncio.timeout(60), aiohttp.ClientSession() as http:
            while True:
                if process.poll() is not None:
                    pytest.fail(f"gateway exited: {process.communicate()[0][-4000:]}")
                try:
                    async with http.get(f"{url}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        yield url
        assert process.poll() is None, "the gateway died"
        process.terminate()
        output, _ = await asyncio.to_thread(process.communicate, timeout=30)
        assert process.returncode == 0, output[-4000:]
        assert "unhandled error" not in output, output[-4000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@dataclass
class Bridge:
    """The simulators wired to the live gateway, and the ways to drive them."""

    gateway: str
    http: aiohttp.ClientSession
    meta: MetaSim
    genesys: Genesys

    def wire(self, tenant: Tenant) -> None:
        """Meta posts the tenant's webhooks to the gateway; so does Genesys (agent replies)."""
        numbers = self.meta.sandbox.numbers
        numbers[tenant.number] = numbers[tenant.number].model_copy(
            update={
                "webhook_url": f"{self.gateway}/webhooks/meta/{tenant.tenant_id}",
                "app_secret": tenant.app_secret,
            }
        )
        self.genesys.sandbox.integrations[tenant.integration_id] = IntegrationConfig(
            integration_id=tenant.integration_id,
            webhook_url=f"{self.gateway}/webhooks/genesys/{tenant.tenant_id}",
            webhook_secret=OUTBOUND_SECRET,
        )

    async def meta_says(self, kind: str, tenant: Tenant, **spec: Any) -> dict[str, Any]:
        """The Meta simulator emits one signed webhook; the gateway must take it (200)."""
        body = {"phone_number_id": tenant.number, **spec}
        async with self.http.post(
            f"{self.meta.url}/_sandbox/webhooks/{kind}", json=body
        ) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == 200, answer
        assert answer["delivery_status"] == 200, answer
        return answer

    async def agent_says(self, tenant: Tenant, text: str) -> None:
        """The Genesys simulator emits an agent's reply to the customer."""
        body = {"integration_id": tenant.integration_id, "to": f"+{CUSTOMER}", "text": text}
        async with self.http.post(
            f"{self.genesys.sim.url}/_sandbox/webhooks/outbound", json=body
        ) as response:
            answer = await response.json()
            assert response.status == 200, answer
            assert answer["delivery_status"] == 200, answer

    def received(self, tenant: Tenant, kind: str = "message") -> list[dict[str, Any]]:
        """The bodies of ``kind`` the Genesys simulator accepted for the tenant, in order."""
        return [
            r["body"]  # type: ignore[misc]  # the simulator keeps parsed JSON objects here
            for r in self.genesys.sandbox.received
            if r["kind"] == kind and r["integration_id"] == tenant.integration_id
        ]


@pytest.fixture
async def bridge(gateway: str, meta: MetaSim, genesys: Genesys) -> AsyncIterator[Bridge]:
    async with aiohttp.ClientSession() as http:
        yield Bridge(gateway, http, meta, genesys)


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str) -> T:
    """``probe()``'s first truthy answer within :data:`WAIT_S`."""
    deadline = time.monotonic() + WAIT_S
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT_S}s: {what}")
        await asyncio.sleep(0.1)


def custom_attributes(body: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = body["channel"]["metadata"]["customAttributes"]
    return found


async def caught_up(settings: WagenSettings, group: str) -> None:
    topics = [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)]
    await wait_caught_up(settings.kafka.servers, group, topics, timeout_s=WAIT_S)


async def test_a_customer_call_is_one_notice_and_one_callback_however_often_it_is_reported(
    bridge: Bridge,
    tenants: Tenants,
    tenancy: Tenancy,
    workers: Workers,
    genesys: Genesys,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    calls = await tenants.create("calls")
    quiet = await tenants.create("nocallback")
    await tenancy.tenants.update(calls.tenant_id, TenantPatch(callback_queue_id=QUEUE), ACTOR)
    genesys.sandbox.queues[QUEUE] = QueueConfig(queue_id=QUEUE)
    for tenant in (calls, quiet):
        bridge.wire(tenant)
    await workers.start(unique_name)

    first = f"wacid.first-{uuid.uuid4().hex}"
    # Meta reports the ringing twice (a redelivery), then the end of the call.
    for _ in range(2):
        await bridge.meta_says("call", calls, **{"from": CUSTOMER, "name": "Dana", "id": first})
    await bridge.meta_says("call", calls, **{"from": CUSTOMER, "id": first, "event": "terminate"})

    def notices(tenant: Tenant) -> list[dict[str, Any]]:
        return [b for b in bridge.received(tenant) if b["metadata"].get("message_origin") == "call"]

    async def seen(tenant: Tenant, count: int) -> bool:
        return len(notices(tenant)) >= count

    await eventually(lambda: seen(calls, 1), "the first call's notice")
    # A call whose callback is created but whose answer never reaches the worker (3 s timeout).
    lost = f"wacid.lost-{uuid.uuid4().hex}"
    genesys.sandbox.failures.add(FailureRule(kind="timeout", operation="callbacks", delay_s=5))
    await bridge.meta_says("call", calls, **{"from": CUSTOMER, "name": "Dana", "id": lost})
    # The other tenant has no callback queue: its agent is told all the same.
    other = f"wacid.other-{uuid.uuid4().hex}"
    await bridge.meta_says("call", quiet, **{"from": CUSTOMER, "id": other})
    await eventually(lambda: seen(calls, 2), "the lost callback's call notice")
    await eventually(lambda: seen(quiet, 1), "the other tenant's call notice")
    await caught_up(tenancy_settings, unique_name)

    told = {b["channel"]["messageId"]: b for b in notices(calls)}
    assert sorted(told) == sorted([first, lost])  # one notice per call, the terminate none
    for call_id in (first, lost):
        text = told[call_id]["text"]
        assert text.startswith("Dana tried to call you on WhatsApp at ")
        assert text.endswith(f"A Genesys callback to +{CUSTOMER} was requested.")
        assert told[call_id]["channel"]["from"]["id"] == f"+{CUSTOMER}"
        assert custom_attributes(told[call_id])["wa_message_origin"] == "call"
    [quiet_notice] = notices(quiet)
    assert quiet_notice["channel"]["messageId"] == other
    assert quiet_notice["text"].endswith("Reply here, or call them back.")
    # Exactly one callback per call of the tenant with a queue, none for the other.
    by_call = {c.data["whatsapp_call_id"]: c for c in genesys.sandbox.callbacks}
    assert sorted(by_call) == sorted([first, lost])
    for callback in by_call.values():
        assert (callback.client_id, callback.queue_id) == (calls.client_id, QUEUE)
        assert (callback.numbers, callback.user_name) == ([f"+{CUSTOMER}"], "Dana")
    # The lost answer was a timeout, and the retry did not ask Genesys a second time.
    asked = [r for r in genesys.sandbox.requests.entries if r["operation"] == "callbacks"]
    assert len(asked) == 2
    logs = "".join(log.read_text(errors="replace") for _, log in workers.processes)
    assert "callback may exist already (no answer earlier): not created twice" in logs


async def test_an_echo_is_shown_as_the_business_words_and_opens_no_window(
    bridge: Bridge,
    tenants: Tenants,
    workers: Workers,
    pool: asyncpg.Pool,
    meta: MetaSim,
    unique_name: str,
) -> None:
    tenant = await tenants.create("echo")
    bridge.wire(tenant)
    await workers.start(unique_name)
    # The customer last wrote 25 hours ago: a signed webhook straight to the gateway.
    wrote_at = int(time.time()) - 25 * 3600
    old = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1234567890", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": tenant.number},
            "contacts": [{"profile": {"name": "Dana"}, "wa_id": CUSTOMER}],
            "messages": [{"from": CUSTOMER, "id": f"wamid.old-{uuid.uuid4().hex}",
                          "timestamp": str(wrote_at), "type": "text",
                          "text": {"body": "Where is my order?"}}],
        }}]}],
    }  # fmt: skip
    raw = json.dumps(old).encode()
    async with bridge.http.post(
        f"{bridge.gateway}/webhooks/meta/{tenant.tenant_id}",
        data=raw,
        headers={SIGNATURE_HEADER: sign_meta(raw, tenant.app_secret)},
    ) as response:
        assert response.status == 200
    await eventually(lambda: _first(bridge.received(tenant)), "the customer's old message")

    # The business answers from the WhatsApp Business app, then edits and deletes it.
    sent = await bridge.meta_says("echo", tenant, to=CUSTOMER, name="Dana", text="It ships today")
    echo_id = sent["body"]["entry"][0]["changes"][0]["value"]["message_echoes"][0]["id"]
    await bridge.meta_says("echo", tenant, to=CUSTOMER, text="It ships tomorrow", edit_of=echo_id)
    await bridge.meta_says("echo", tenant, to=CUSTOMER, revoke_of=echo_id)

    def echoes() -> list[dict[str, Any]]:
        return [
            b
            for b in bridge.received(tenant)
            if b["metadata"].get("message_origin") == "business_app"
        ]

    async def three() -> bool:
        return len(echoes()) >= 3

    await eventually(three, "three echoes")
    shown, edited, deleted = echoes()
    assert shown["text"] == f"{ECHO_LINE}\nIt ships today"
    assert shown["channel"]["messageId"] == echo_id
    assert shown["channel"]["from"]["id"] == f"+{CUSTOMER}"  # the customer's conversation
    assert custom_attributes(shown)["wa_message_origin"] == "business_app"
    assert "wa_window_closes_at" not in custom_attributes(shown)
    assert (
        edited["text"] == f"{ECHO_LINE}\nThe business edited message {echo_id}: It ships tomorrow"
    )
    assert deleted["text"] == f"{ECHO_LINE}\nThe business deleted message {echo_id}."

    # The window is still the one the customer's old message opened: closed.
    async with tenant_tx(pool, tenant.tenant_id) as conn:
        last = await conn.fetchval(
            "SELECT last_message_at FROM conversation_mappings WHERE tenant_id = $1 AND wa_id = $2",
            tenant.tenant_id,
            CUSTOMER,
        )
    assert last == datetime.fromtimestamp(wrote_at, UTC)
    await bridge.agent_says(tenant, "Anything else?")
    [receipt] = await eventually(
        lambda: _first_n(bridge.received(tenant, "receipt"), 1), "the agent's Failed receipt"
    )
    assert receipt["status"] == "Failed"
    assert receipt["reasons"][0]["code"] == "MessageExpired"
    assert meta.sandbox.sent == []  # nothing went to the customer


async def test_a_marketing_stop_is_recorded_and_routed_and_pricing_is_counted(
    bridge: Bridge,
    tenants: Tenants,
    workers: Workers,
    pool: asyncpg.Pool,
    meta: MetaSim,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    tenant = await tenants.create("prefs")
    bridge.wire(tenant)
    await workers.start(unique_name)

    await bridge.meta_says("preference", tenant, wa_id=CUSTOMER, value="stop")

    async def stopped() -> bool:
        async with tenant_tx(pool, tenant.tenant_id) as conn:
            return bool(await preferences.marketing_opted_out(conn, tenant.tenant_id, [CUSTOMER]))

    await eventually(stopped, "the customer's stop recorded")
    async with tenant_tx(pool, tenant.tenant_id) as conn:
        with pytest.raises(RecipientOptedOutError):
            await preferences.ensure_marketing_allowed(conn, tenant.tenant_id, [CUSTOMER])

    await bridge.meta_says("message", tenant, **{"from": CUSTOMER, "name": "Dana", "text": "Hi"})
    [message] = await eventually(lambda: _first_n(bridge.received(tenant), 1), "the message")
    context = custom_attributes(message)
    assert context["wa_marketing_opt_out"] == "true"
    assert context["wa_message_origin"] == "customer"
    assert context["wa_phone_number_id"] == tenant.number
    closes = datetime.fromisoformat(context["wa_window_closes_at"])
    assert timedelta(hours=23) < closes - datetime.now(UTC) <= timedelta(hours=24)

    # An agent's reply is a service message: it goes although the customer stopped marketing.
    await bridge.agent_says(tenant, "Hello Dana")
    [sent] = await eventually(lambda: _first_n(meta.sandbox.sent, 1), "the reply at Meta")
    pricing = {"category": "service", "billable": False, "type": "free_customer_service"}
    for status in ("sent", "delivered"):  # both carry the pricing of the one message
        await bridge.meta_says("status", tenant, id=sent["wamid"], status=status, pricing=pricing)
    # A marketing template another tool of the tenant sent, billed.
    billed = {"category": "marketing", "billable": True}
    await bridge.meta_says(
        "status",
        tenant,
        id="wamid.campaign-1",
        status="sent",
        recipient_id=CUSTOMER,
        pricing=billed,
    )
    await eventually(lambda: _first_n(bridge.received(tenant, "receipt"), 1), "the receipt")
    await caught_up(tenancy_settings, unique_name)

    async with bridge.http.get(
        f"{bridge.gateway}/tenants/{tenant.tenant_id}/usage", headers=ADMIN
    ) as response:
        assert response.status == 200
        report = await response.json()
    assert report["pricing"] == {
        "marketing": {"messages": 1, "billable": 1},
        "service": {"messages": 1, "billable": 0},
    }

    # The customer resumes: the next message says so.
    await bridge.meta_says("preference", tenant, wa_id=CUSTOMER, value="resume")

    async def resumed() -> bool:
        async with tenant_tx(pool, tenant.tenant_id) as conn:
            found = await preferences.marketing_opted_out(conn, tenant.tenant_id, [CUSTOMER])
        return found is False

    await eventually(resumed, "the customer's resume recorded")


async def _first(items: list[T]) -> list[T]:
    return items[:1]


async def _first_n(items: list[T], count: int) -> list[T] | None:
    return items[:count] if len(items) >= count else None
