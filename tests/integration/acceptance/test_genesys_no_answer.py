"""A Genesys call that gets no answer (the worker's 3 s timeout passes) leaves the message in
doubt: after the settle time the worker asks Genesys, and sends it again only if Genesys
does not have it. Either way the agent sees the message exactly once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

from aiokafka import AIOKafkaProducer

from connectors.sandbox.common import FailureRule
from tests.integration.acceptance.stack import Genesys, Tenant, Tenants, Workers, publish
from tests.integration.acceptance.stack import text_webhook as webhook

CUSTOMER = "15553334444"
WORKER = {
    "WAGEN_WORKER_IN_DOUBT_SETTLE_S": "2",
    "WAGEN_WORKER_RETRY_BASE_DELAY_S": "0.2",
}


async def _first_message(tenant: Tenant, genesys: Genesys, producer: AIOKafkaProducer) -> None:
    """Open the customer's conversation (the lookup needs its id)."""
    await publish(producer, tenant.tenant_id, webhook(tenant, CUSTOMER, "wamid.first", "hello"))
    await genesys.wait_delivered(1, timeout_s=30)


async def test_a_message_genesys_accepted_after_the_timeout_is_not_sent_again(
    tenants: Tenants, workers: Workers, genesys: Genesys, producer: AIOKafkaProducer
) -> None:
    tenant = await tenants.create("late")
    await workers.start(f"late-{uuid.uuid4().hex}", WORKER)
    await _first_message(tenant, genesys, producer)
    # Genesys takes 4 s (the worker gives up at 3 s), then accepts the message.
    genesys.sandbox.failures.add(
        FailureRule(kind="timeout", delay_s=4, scope=tenant.integration_id, operation="message")
    )
    wamid = f"wamid.late-{uuid.uuid4().hex}"
    await publish(producer, tenant.tenant_id, webhook(tenant, CUSTOMER, wamid, "still there?"))
    await genesys.wait_delivered(2, timeout_s=30)
    lookups = await _lookups(genesys, minimum=2, timeout_s=30)

    posts = Counter(c.message_id for c in genesys.calls if c.kind == "message")
    assert posts[wamid] == 1  # the one Genesys accepted late; never posted again
    assert [c.message_id for c in genesys.delivered()] == ["wamid.first", wamid]
    assert lookups >= 2  # the conversation read, then its messages in bulk


async def test_a_message_genesys_did_not_accept_is_sent_again_once(
    tenants: Tenants, workers: Workers, genesys: Genesys, producer: AIOKafkaProducer
) -> None:
    tenant = await tenants.create("lost")
    await workers.start(f"lost-{uuid.uuid4().hex}", WORKER)
    await _first_message(tenant, genesys, producer)
    # Genesys takes 4 s and then fails: the worker saw no answer, nothing was accepted.
    genesys.sandbox.failures.add(
        FailureRule(
            kind="server_error",
            status=503,
            delay_s=4,
            scope=tenant.integration_id,
            operation="message",
        )
    )
    wamid = f"wamid.lost-{uuid.uuid4().hex}"
    await publish(producer, tenant.tenant_id, webhook(tenant, CUSTOMER, wamid, "anyone?"))
    await genesys.wait_delivered(2, timeout_s=30)
    await _lookups(genesys, minimum=2, timeout_s=5)

    statuses = [c.status for c in genesys.calls if c.message_id == wamid]
    assert statuses == [503, 200]
    assert [c.message_id for c in genesys.delivered()] == ["wamid.first", wamid]


async def _lookups(genesys: Genesys, *, minimum: int, timeout_s: float) -> int:
    """Successful conversation reads, once at least ``minimum`` were made."""
    deadline = time.monotonic() + timeout_s
    while True:
        done = [
            e
            for e in genesys.sandbox.requests.entries
            if e["operation"] in {"conversation", "messages_bulk"} and e["status"] == 200
        ]
        if len(done) >= minimum or time.monotonic() > deadline:
            return len(done)
        await asyncio.sleep(0.05)
