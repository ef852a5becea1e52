"""``wa.webhooks`` → split → ``forward_to_genesys`` → the Genesys simulator, with a real worker.

Shows: the right inbound body within 2 s, the tenant's own integration and token; one
Genesys message for a webhook delivered three times; one receipt for a delivered status of
an agent's message; a 429 with ``Retry-After: 2`` retried through ``wa.events.retry`` and
delivered once, no sooner than the delay.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from connectors.meta.webhook import split_webhook
from connectors.sandbox.common import FailureRule
from connectors.translate import GenesysTarget, message_to_genesys
from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, held_topic, retry_topic
from pipeline.settings import WagenSettings
from schemas.events import MessageReceived
from tenancy.db.scope import platform_tx, tenant_tx
from tests.integration.kafka_tail import TopicTail
from tests.integration.worker.harness import PHONE_NUMBER_ID, GenesysSim, WorkerTenant

CUSTOMER = "972987654321"


def text_webhook(wamid: str, text: str) -> bytes:
    """A Meta webhook with one customer text message, as Meta POSTs it."""
    return message_webhook({"id": wamid, "text": {"body": text}, "type": "text"})


def message_webhook(message: dict[str, Any]) -> bytes:
    """A Meta webhook with one customer message (``from`` and ``timestamp`` filled in)."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "972123456789", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Dana Levi"}, "wa_id": CUSTOMER}],
        "messages": [{"from": CUSTOMER, "timestamp": str(int(time.time())), **message}],
    }
    return _envelope(value)


def status_webhook(wamid: str, status: str) -> bytes:
    """A Meta webhook with one status of a message the business sent."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "972123456789", "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [
            {
                "id": wamid,
                "status": status,
                "timestamp": str(int(time.time())),
                "recipient_id": CUSTOMER,
            }
        ],
    }
    return _envelope(value)


def _envelope(value: dict[str, Any]) -> bytes:
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1234567890", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


async def publish(producer: AIOKafkaProducer, tenant_id: str, body: bytes) -> None:
    """What the gateway does with a verified webhook."""
    headers = [
        ("tenant_id", tenant_id.encode()),
        ("received_at_ms", str(time.time_ns() // 1_000_000).encode()),
        ("request_id", uuid.uuid4().hex.encode()),
    ]
    await producer.send_and_wait(WA_WEBHOOKS, body, key=tenant_id.encode(), headers=headers)


async def received(
    sim: GenesysSim, kind: str, count: int, timeout_s: float
) -> list[dict[str, Any]]:
    """The bodies of ``kind`` the simulator accepted, once ``count`` arrived (or timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [r for r in sim.sandbox.received if r["kind"] == kind]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.02)


def expected_message(body: bytes, tenant: WorkerTenant) -> dict[str, Any]:
    """The inbound body the translation of this webhook yields (what Genesys must get)."""
    [event] = split_webhook(body, tenant.tenant_id, datetime.now(UTC))
    assert isinstance(event, MessageReceived)
    call = message_to_genesys(
        event, GenesysTarget(integration_id=tenant.integration_id, media_url=str)
    )
    wire: dict[str, Any] = call.as_json()["body"]
    return wire


async def test_text_reaches_genesys_once_and_statuses_become_receipts(
    worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
) -> None:
    tenant = worker_tenant.tenant_id
    wamid = f"wamid.in-{uuid.uuid4().hex}"
    body = text_webhook(wamid, "Hello, my order has not arrived")

    started = time.monotonic()
    await publish(producer, tenant, body)
    [first] = await received(genesys_sim, "message", 1, timeout_s=2.0)
    assert time.monotonic() - started < 2.0
    assert first["integration_id"] == worker_tenant.integration_id
    assert first["body"] == expected_message(body, worker_tenant)

    # Meta's retries of the same webhook: still one Genesys message.
    for _ in range(3):
        await publish(producer, tenant, body)
    await asyncio.sleep(2.0)
    assert len(await received(genesys_sim, "message", 2, timeout_s=0)) == 1

    async with tenant_tx(pool, tenant) as conn:
        row = await conn.fetchrow(
            "SELECT status, genesys_message_id, quota_counted FROM message_tracking "
            "WHERE tenant_id = $1 AND direction = 'inbound' AND wa_message_id = $2",
            tenant,
            wamid,
        )
        mapping = await conn.fetchrow(
            "SELECT contact_name, phone_number_id, last_message_at FROM conversation_mappings "
            "WHERE tenant_id = $1 AND wa_id = $2",
            tenant,
            CUSTOMER,
        )
        counted = await conn.fetchval(
            "SELECT coalesce(sum(value), 0) FROM usage_daily "
            "WHERE tenant_id = $1 AND metric = 'messages_in'",
            tenant,
        )
    assert row is not None
    assert row["status"] == "sent"
    assert row["quota_counted"]
    assert row["genesys_message_id"]
    assert mapping is not None
    assert (mapping["contact_name"], mapping["phone_number_id"]) == ("Dana Levi", PHONE_NUMBER_ID)
    assert counted == 1

    # An agent's message we sent earlier (as the outbound agent will record it).
    outbound, genesys_id = f"wamid.out-{uuid.uuid4().hex}", f"gmsg-{uuid.uuid4().hex}"
    async with tenant_tx(pool, tenant) as conn:
        await conn.execute(
            "INSERT INTO message_tracking (tenant_id, direction, wa_id, wa_message_id, "
            "genesys_message_id, status) VALUES ($1, 'outbound', $2, $3, $4, 'sent')",
            tenant,
            CUSTOMER,
            outbound,
            genesys_id,
        )
    await publish(producer, tenant, status_webhook(outbound, "sent"))
    await publish(producer, tenant, status_webhook(outbound, "delivered"))
    await publish(producer, tenant, status_webhook(outbound, "delivered"))
    await publish(producer, tenant, status_webhook(outbound, "read"))
    [receipt] = await received(genesys_sim, "receipt", 1, timeout_s=2.0)
    await asyncio.sleep(1.0)
    assert len(await received(genesys_sim, "receipt", 2, timeout_s=0)) == 1
    assert receipt["body"]["id"] == genesys_id
    assert receipt["body"]["status"] == "Delivered"
    assert receipt["body"]["channel"]["to"]["id"] == f"+{CUSTOMER}"


async def test_rate_limited_call_is_retried_after_retry_after(
    worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
) -> None:
    tenant = worker_tenant.tenant_id
    genesys_sim.sandbox.failures.add(
        FailureRule(
            kind="rate_limit",
            scope=worker_tenant.integration_id,
            operation="message",
            retry_after=2,
        )
    )
    body = text_webhook(f"wamid.in-{uuid.uuid4().hex}", "Are you there?")
    async with TopicTail(tenancy_settings, retry_topic(WA_EVENTS)) as retries:
        started = time.monotonic()
        await publish(producer, tenant, body)
        [(_, headers)] = await retries.records_for(f"{tenant}:".encode(), 1, prefix=True)
        [delivered] = await received(genesys_sim, "message", 1, timeout_s=6.0)
        elapsed = time.monotonic() - started

    assert headers["attempt"] == b"1"
    assert headers["last_error_code"] == b"genesys_rate_limited"
    assert int(headers["not_before_ms"]) - int(headers["received_at_ms"]) >= 2000
    assert 2.0 <= elapsed < 5.0
    assert delivered["body"] == expected_message(body, worker_tenant)
    await asyncio.sleep(1.0)
    assert len(await received(genesys_sim, "message", 2, timeout_s=0)) == 1
    attempts = genesys_sim.sandbox.requests.select({"operation": "message"})
    assert [a["status"] for a in attempts] == [429, 200]


async def test_messages_past_the_quota_are_held(
    worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    tenancy_settings: WagenSettings,
) -> None:
    # Inbound media (downloaded at ingest, linked through the gateway) has its own end-to-end
    # test with a Meta simulator and a gateway: test_inbound_media.py.
    tenant = worker_tenant.tenant_id
    async with platform_tx(pool) as conn:  # the test plan "tiny" allows 3 messages a month
        await conn.execute("UPDATE tenants SET plan = 'tiny' WHERE tenant_id = $1", tenant)
    key = f"{tenant}:".encode()
    async with TopicTail(tenancy_settings, held_topic(WA_EVENTS)) as held:
        for n in range(4):
            await publish(producer, tenant, text_webhook(f"wamid.q{n}-{uuid.uuid4().hex}", f"#{n}"))
        [(held_value, held_headers)] = await held.records_for(key, 1, prefix=True, rounds=40)

    assert held_headers["held_reason"] == b"monthly_quota_exceeded"
    assert int(held_headers["held_release_after_ms"]) > time.time() * 1000
    assert b'"#3"' in held_value
    texts = [r["body"]["text"] for r in await received(genesys_sim, "message", 3, timeout_s=2)]
    assert texts == ["#0", "#1", "#2"]
