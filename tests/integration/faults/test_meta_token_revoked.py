"""One tenant's Meta access token is revoked while its agents reply (Meta answers 401, code
190): what ``pipeline.worker.outbound`` does with a refusal that retrying cannot fix.

Each of that tenant's replies becomes a ``Failed`` receipt the agent sees in Genesys and a
DLQ entry with the reason (``meta_credentials_invalid``) for an operator, after one attempt
and with no Meta send; the other tenant's replies, carried by the same worker meanwhile,
all reach WhatsApp once, in order.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from pipeline.kafka.topics import GENESYS_WEBHOOKS, dlq_topic, retry_topic
from pipeline.settings import WagenSettings
from tests.integration.acceptance.stack import Genesys, Tenant, Tenants, Workers, wait_caught_up
from tests.integration.faults.harness import (
    FAST_RECOVERY,
    messages,
    publish_all,
    tails,
    tenant_records,
    wait_for_all,
)
from tests.integration.genesys_bodies import agent_webhook
from tests.integration.worker.harness import MetaSim

pytestmark = pytest.mark.faults

CONVERSATIONS, REPLIES = 2, 6


def agent_reply(tenant: Tenant, customer: str, text: str) -> bytes:
    """An agent's text to ``customer``, as Genesys POSTs it (a fresh Genesys message id)."""
    return agent_webhook(tenant.integration_id, customer, text=text)


async def publish_replies(producer: AIOKafkaProducer, tenant: Tenant) -> dict[str, str]:
    """The agents' replies of ``tenant`` on ``genesys.webhooks``: Genesys id -> text."""
    replies: dict[str, str] = {}
    for n in range(REPLIES):
        for c in range(CONVERSATIONS):
            text = f"{tenant.tenant_id}:{c}:{n}"
            body = agent_reply(tenant, f"1555{c:07d}", text)
            replies[json.loads(body)["id"]] = text
            headers = [
                ("tenant_id", tenant.tenant_id.encode()),
                ("source", b"genesys"),
                ("received_at_ms", str(time.time_ns() // 1_000_000).encode()),
                ("request_id", uuid.uuid4().hex.encode()),
            ]
            await producer.send(
                GENESYS_WEBHOOKS, body, key=tenant.tenant_id.encode(), headers=headers
            )
    await producer.flush()
    return replies


def sent_texts(meta: MetaSim, tenant: Tenant) -> list[str]:
    """Texts Meta accepted from ``tenant``'s number, in order."""
    return [
        str(s["body"]["text"]["body"])
        for s in meta.sandbox.sent
        if s["phone_number_id"] == tenant.number
    ]


def failed_receipts(genesys: Genesys, ids: set[str]) -> list[dict[str, Any]]:
    """The ``Failed`` receipts Genesys accepted for the agent messages ``ids``."""
    bodies = [
        json.loads(e["body"])
        for e in genesys.sandbox.requests.entries
        if e["operation"] == "receipt" and e["status"] == 200
    ]
    return [b for b in bodies if b.get("status") == "Failed" and b.get("id") in ids]


@pytest.mark.timeout(150)
async def test_a_revoked_meta_token_fails_that_tenants_replies_only(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    meta: MetaSim,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    revoked, healthy = await tenants.create("mr"), await tenants.create("mh")
    await workers.start(unique_name, FAST_RECOVERY)
    # The customers write first: the service window opens, on our side and Meta's.
    inbound = messages(revoked, CONVERSATIONS, 1, tag="in") + messages(
        healthy, CONVERSATIONS, 1, tag="in"
    )
    await publish_all(producer, inbound)
    assert (await wait_for_all(genesys, inbound, timeout_s=30, settle_s=0)).missing == []
    for message in inbound:
        meta.sandbox.open_window(message.tenant.number, message.customer)
    meta.sandbox.revoked.add(meta.sandbox.numbers[revoked.number].access_token)

    watched = (dlq_topic(GENESYS_WEBHOOKS), retry_topic(GENESYS_WEBHOOKS))
    async with tails(tenancy_settings, *watched) as (dlq, retries):
        lost = await publish_replies(producer, revoked)
        kept = await publish_replies(producer, healthy)
        await wait_caught_up(
            tenancy_settings.kafka.servers,
            unique_name,
            [GENESYS_WEBHOOKS, retry_topic(GENESYS_WEBHOOKS)],
            timeout_s=60,
        )
        dead = await tenant_records(dlq, [revoked, healthy])
        retried = await tenant_records(retries, [revoked, healthy], rounds=2)

    total = CONVERSATIONS * REPLIES
    texts = sent_texts(meta, healthy)
    assert sorted(texts) == sorted(kept.values())  # each once
    for c in range(CONVERSATIONS):
        mine = [t for t in texts if t.startswith(f"{healthy.tenant_id}:{c}:")]
        assert mine == [f"{healthy.tenant_id}:{c}:{n}" for n in range(REPLIES)]
    assert sent_texts(meta, revoked) == []

    assert len(dead) == total
    assert {h["tenant_id"] for _, h in dead} == {revoked.tenant_id.encode()}
    assert {h["dlq_error_code"] for _, h in dead} == {b"meta_credentials_invalid"}
    assert {h["dlq_attempts"] for _, h in dead} == {b"1"}  # refused at once, not retried
    assert {json.loads(v)["id"] for v, _ in dead} == set(lost)
    assert retried == []
    receipts = failed_receipts(genesys, set(lost))
    assert sorted(r["id"] for r in receipts) == sorted(lost)
    assert failed_receipts(genesys, set(kept)) == []
