"""``genesys.webhooks`` → ``forward_to_meta`` → the Meta simulator, with a real worker.

Shows: an agent reply after the customer wrote reaches Meta as the right send body, once for
a webhook delivered three times, tracked so that a later ``failed`` status (131047) becomes
a Failed receipt; agent typing becomes a typing indicator on the customer's last message;
an attachment is downloaded from Genesys, uploaded and sent by id; a closed window becomes a
Failed receipt with no Meta call, and a permanent Meta refusal a Failed receipt plus a DLQ
entry; a 429 with ``Retry-After: 2`` is retried through ``genesys.webhooks.retry`` and
delivered once, no sooner than the delay.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from connectors.sandbox.common import FailureRule
from connectors.sandbox.genesys_state import StoredAttachment
from connectors.translate import MetaTarget, outbound_to_meta, parse_outbound
from pipeline.kafka.topics import GENESYS_WEBHOOKS, dlq_topic, retry_topic
from pipeline.settings import WagenSettings
from tenancy.db.scope import tenant_tx
from tests.integration.genesys_bodies import agent_webhook as genesys_agent_webhook
from tests.integration.kafka_tail import TopicTail
from tests.integration.worker.harness import PHONE_NUMBER_ID, GenesysSim, MetaSim, WorkerTenant
from tests.integration.worker.test_forward_to_genesys import (
    CUSTOMER,
    _envelope,
    publish,
    received,
    text_webhook,
)


def agent_webhook(tenant: WorkerTenant, **content: Any) -> bytes:
    """An agent's outbound webhook body, as Genesys POSTs it (a fresh Genesys id)."""
    return genesys_agent_webhook(tenant.integration_id, CUSTOMER, **content)


def failed_status_webhook(wamid: str, code: int) -> bytes:
    """A Meta webhook reporting that a message the business sent failed."""
    error = {
        "code": code,
        "title": "Re-engagement message",
        "error_data": {"details": "Message failed to send because more than 24 hours..."},
    }
    status = {
        "id": wamid,
        "status": "failed",
        "timestamp": str(int(time.time())),
        "recipient_id": CUSTOMER,
        "errors": [error],
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "972123456789", "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [status],
    }
    return _envelope(value)


async def publish_agent(producer: AIOKafkaProducer, tenant_id: str, body: bytes) -> None:
    """What the gateway does with a verified Genesys webhook."""
    headers = [
        ("tenant_id", tenant_id.encode()),
        ("source", b"genesys"),
        ("received_at_ms", str(time.time_ns() // 1_000_000).encode()),
        ("request_id", uuid.uuid4().hex.encode()),
    ]
    await producer.send_and_wait(GENESYS_WEBHOOKS, body, key=tenant_id.encode(), headers=headers)


async def meta_requests(sim: MetaSim, operation: str, count: int, timeout_s: float) -> list[Any]:
    """The simulator's logged requests of ``operation``, once ``count`` arrived (or timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = sim.sandbox.requests.select({"operation": operation})
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.02)


async def _sent(sim: MetaSim, count: int, timeout_s: float) -> list[dict[str, Any]]:
    """Every send the simulator accepted, once ``count`` arrived (or timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if len(sim.sandbox.sent) >= count or time.monotonic() > deadline:
            return list(sim.sandbox.sent)
        await asyncio.sleep(0.02)


async def customer_writes(
    producer: AIOKafkaProducer, sim: GenesysSim, meta: MetaSim, tenant: str
) -> str:
    """The customer's message, carried to Genesys (the window opens on both sides)."""
    wamid = f"wamid.in-{uuid.uuid4().hex}"
    meta.sandbox.open_window(PHONE_NUMBER_ID, CUSTOMER)
    await publish(producer, tenant, text_webhook(wamid, "Where is my order?"))
    assert await received(sim, "message", 1, timeout_s=20.0)
    return wamid


def expected_sends(body: bytes) -> list[dict[str, Any]]:
    """The Meta send bodies the translation of an agent webhook yields."""
    calls = outbound_to_meta(parse_outbound(body), MetaTarget(PHONE_NUMBER_ID))
    return [call.as_json()["body"] for call in calls]


async def test_agent_reply_reaches_meta_once_and_a_late_131047_becomes_a_failed_receipt(
    worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    meta_sim: MetaSim,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
) -> None:
    tenant = worker_tenant.tenant_id
    inbound = await customer_writes(producer, genesys_sim, meta_sim, tenant)

    # Typing first: a mark-as-read with typing on the customer's message.
    await publish_agent(
        producer,
        tenant,
        agent_webhook(
            worker_tenant,
            type="Event",
            events=[{"eventType": "Typing", "typing": {"type": "On", "duration": 5000}}],
        ),
    )
    [typing] = await meta_requests(meta_sim, "messages", 1, timeout_s=3.0)
    assert typing["body"] == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": inbound,
        "typing_indicator": {"type": "text"},
    }

    reply = agent_webhook(worker_tenant, text="Your order ships today.")
    started = time.monotonic()
    for _ in range(3):  # Genesys's retries of one webhook: still one WhatsApp message
        await publish_agent(producer, tenant, reply)
    [sent] = await _sent(meta_sim, 1, 3.0)
    latency = time.monotonic() - started
    assert sent["body"] == expected_sends(reply)[0]
    assert latency < 2.0
    await asyncio.sleep(1.5)
    assert len(meta_sim.sandbox.sent) == 1

    genesys_id = json.loads(reply)["id"]
    async with tenant_tx(pool, tenant) as conn:
        row = await conn.fetchrow(
            "SELECT status, wa_message_id, wa_id FROM message_tracking WHERE tenant_id = $1 "
            "AND direction = 'outbound' AND genesys_message_id = $2",
            tenant,
            genesys_id,
        )
    assert row is not None
    assert (row["status"], row["wa_message_id"], row["wa_id"]) == ("sent", sent["wamid"], CUSTOMER)

    # Meta reports later that it failed after all (window closed): the agent is told.
    await publish(producer, tenant, failed_status_webhook(sent["wamid"], 131047))
    [receipt] = await received(genesys_sim, "receipt", 1, timeout_s=3.0)
    assert receipt["body"]["id"] == genesys_id
    assert receipt["body"]["status"] == "Failed"
    assert receipt["body"]["reasons"][0]["code"] == "MessageExpired"
    assert receipt["body"]["reasons"][0]["message"].startswith("WhatsApp 131047")


async def test_an_attachment_is_downloaded_uploaded_and_sent_by_id(
    worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    meta_sim: MetaSim,
    producer: AIOKafkaProducer,
) -> None:
    tenant = worker_tenant.tenant_id
    await customer_writes(producer, genesys_sim, meta_sim, tenant)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    genesys_sim.sandbox.attachments["photo1"] = StoredAttachment(png, "image/png", "label.png")
    url = f"{genesys_sim.url}/_sandbox/attachments/photo1/label.png"
    attachment = {"mediaType": "Image", "url": url, "mime": "image/png", "filename": "label.png"}
    reply = agent_webhook(
        worker_tenant,
        text="The label",
        content=[{"contentType": "Attachment", "attachment": attachment}],
    )
    await publish_agent(producer, tenant, reply)
    [sent] = await _sent(meta_sim, 1, 5.0)
    [upload] = meta_sim.sandbox.requests.select({"operation": "media_upload", "status": "200"})
    media_id = sent["body"]["image"]["id"]
    assert meta_sim.sandbox.media[media_id].data == png
    assert upload["body"]["type"] == "image/png"
    assert sent["body"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": f"+{CUSTOMER}",
        "type": "image",
        "image": {"id": media_id, "caption": "The label"},
    }


async def test_closed_window_and_permanent_refusals_become_failed_receipts(
    worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    meta_sim: MetaSim,
    producer: AIOKafkaProducer,
    pool: asyncpg.Pool,
    tenancy_settings: WagenSettings,
) -> None:
    tenant = worker_tenant.tenant_id
    async with tenant_tx(pool, tenant) as conn:  # the customer last wrote 25 hours ago
        await conn.execute(
            "INSERT INTO conversation_mappings (tenant_id, wa_id, phone_number_id, "
            "last_message_at) VALUES ($1, $2, $3, $4)",
            tenant,
            CUSTOMER,
            PHONE_NUMBER_ID,
            datetime.now(UTC) - timedelta(hours=25),
        )
    late = agent_webhook(worker_tenant, text="Sorry for the delay")
    await publish_agent(producer, tenant, late)
    [expired] = await received(genesys_sim, "receipt", 1, timeout_s=3.0)
    assert expired["body"]["id"] == json.loads(late)["id"]
    assert expired["body"]["status"] == "Failed"
    assert expired["body"]["reasons"][0]["code"] == "MessageExpired"
    assert meta_sim.sandbox.requests.select({"operation": "messages"}) == []

    # The customer writes again; Meta refuses the recipient for good (131026).
    await customer_writes(producer, genesys_sim, meta_sim, tenant)
    meta_sim.sandbox.failures.add(
        FailureRule(kind="server_error", scope=PHONE_NUMBER_ID, status=400, code=131026)
    )
    refused = agent_webhook(worker_tenant, text="Hello?")
    async with TopicTail(tenancy_settings, dlq_topic(GENESYS_WEBHOOKS)) as dead:
        await publish_agent(producer, tenant, refused)
        [(value, headers)] = await dead.records_for(tenant.encode(), 1, rounds=20)
    receipts = await received(genesys_sim, "receipt", 2, timeout_s=3.0)
    assert receipts[1]["body"]["id"] == json.loads(refused)["id"]
    assert receipts[1]["body"]["reasons"][0]["code"] == "InvalidDestination"
    assert value == refused
    assert headers["dlq_error_code"] == b"meta_permanent"
    assert meta_sim.sandbox.sent == []


async def test_rate_limited_send_is_retried_after_retry_after_and_sent_once(
    worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    meta_sim: MetaSim,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
) -> None:
    tenant = worker_tenant.tenant_id
    await customer_writes(producer, genesys_sim, meta_sim, tenant)
    meta_sim.sandbox.failures.add(
        FailureRule(kind="rate_limit", scope=PHONE_NUMBER_ID, operation="messages", retry_after=2)
    )
    reply = agent_webhook(worker_tenant, text="One moment please")
    async with TopicTail(tenancy_settings, retry_topic(GENESYS_WEBHOOKS)) as retries:
        started = time.monotonic()
        await publish_agent(producer, tenant, reply)
        [(_, headers)] = await retries.records_for(tenant.encode(), 1)
        [sent] = await _sent(meta_sim, 1, 6.0)
        elapsed = time.monotonic() - started

    assert headers["attempt"] == b"1"
    assert headers["last_error_code"] == b"meta_rate_limited"
    assert int(headers["not_before_ms"]) - int(headers["received_at_ms"]) >= 2000
    assert 2.0 <= elapsed < 5.0
    assert sent["body"] == expected_sends(reply)[0]
    await asyncio.sleep(1.0)
    assert len(meta_sim.sandbox.sent) == 1
    statuses = [r["status"] for r in meta_sim.sandbox.requests.select({"operation": "messages"})]
    assert statuses == [429, 200]
    assert await received(genesys_sim, "receipt", 1, timeout_s=0) == []
