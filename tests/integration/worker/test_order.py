"""Conversation order across the retry topic, with a real worker and the Genesys simulator.

The rule (:mod:`pipeline.worker.order`): while a message of a conversation waits on the
retry topic, later messages of that conversation go behind it. Shows: message 1 refused
with a 429 (``Retry-After: 2``) and message 2 sent meanwhile reach Genesys as 1 then 2,
while another conversation of the tenant is not held up; a head refused twice keeps two
followers behind it, in order; the conversation's marker is gone once the line is empty.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from typing import Any

from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from connectors.sandbox.common import FailureRule
from pipeline.kafka.topics import WA_EVENTS, retry_topic
from pipeline.settings import WagenSettings
from tests.integration.kafka_tail import TopicTail
from tests.integration.worker.harness import PHONE_NUMBER_ID, GenesysSim, WorkerTenant
from tests.integration.worker.test_forward_to_genesys import publish
from tests.integration.worker.test_pacing import customer_webhook

CUSTOMER_X = "972500000001"
CUSTOMER_Y = "972500000002"


def answered(sim: GenesysSim) -> list[dict[str, Any]]:
    """Every ``message`` request the simulator answered: text, status, time, in order."""
    return [
        {"text": json.loads(e["body"])["text"], "status": e["status"], "at": e["at"]}
        for e in sim.sandbox.requests.select({"operation": "message"})
    ]


def delivered(sim: GenesysSim) -> list[str]:
    """Texts Genesys accepted, in the order it accepted them."""
    return [a["text"] for a in answered(sim) if a["status"] == 200]


async def until_true(check: Any, timeout_s: float) -> None:
    """Poll ``check()`` until true (fail at the timeout)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def send(producer: AIOKafkaProducer, tenant: str, customer: str, text: str) -> None:
    """A customer's text, as the gateway publishes it."""
    await publish(producer, tenant, customer_webhook(PHONE_NUMBER_ID, customer, text))


async def test_a_message_behind_a_rate_limited_one_waits_for_it(
    worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
    redis: Redis,
) -> None:
    tenant = worker_tenant.tenant_id
    genesys_sim.sandbox.failures.add(
        FailureRule(
            kind="rate_limit",
            scope=worker_tenant.integration_id,
            operation="message",
            count=1,
            retry_after=2,
        )
    )
    async with TopicTail(tenancy_settings, retry_topic(WA_EVENTS)) as retries:
        started = time.monotonic()
        await send(producer, tenant, CUSTOMER_X, "x1")
        await until_true(lambda: [a["status"] for a in answered(genesys_sim)] == [429], 5.0)
        # Message 1 waits on the retry topic; message 2 of the same conversation arrives.
        await send(producer, tenant, CUSTOMER_X, "x2")
        await send(producer, tenant, CUSTOMER_Y, "y1")
        await until_true(lambda: len(delivered(genesys_sim)) >= 3, 10.0)
        parked = await retries.records_for(f"{tenant}:{CUSTOMER_X}".encode(), 2)

    texts = delivered(genesys_sim)
    assert texts.index("x1") < texts.index("x2")
    # Another conversation of the tenant went past: delivered at once, before x1's retry.
    assert texts[0] == "y1"
    by_text = {a["text"]: a for a in answered(genesys_sim) if a["status"] == 200}
    assert by_text["x1"]["at"] - started >= 2.0
    assert by_text["y1"]["at"] < by_text["x1"]["at"]
    # x2 went behind x1 on the retry topic (its place 1 in X's line), untried until then.
    # (A redelivery after a rebalance would add places 2 and 3: the claims make them no-ops.)
    [(_, first), (_, second)] = parked[:2]
    assert (first["park_seq"], first["attempt"]) == (b"0", b"1")
    assert second["park_seq"] == b"1"
    assert "attempt" not in second
    await asyncio.sleep(0.5)
    assert delivered(genesys_sim) == texts  # each once
    marker = f"{tenancy_settings.tenancy.redis_prefix}order:{WA_EVENTS}:{tenant}:{CUSTOMER_X}"
    assert await redis.exists(marker) == 0


async def test_followers_stay_behind_a_message_refused_twice(
    worker: subprocess.Popen[str],
    worker_tenant: WorkerTenant,
    genesys_sim: GenesysSim,
    producer: AIOKafkaProducer,
) -> None:
    tenant = worker_tenant.tenant_id
    genesys_sim.sandbox.failures.add(
        FailureRule(
            kind="rate_limit",
            scope=worker_tenant.integration_id,
            operation="message",
            count=2,
            retry_after=1,
        )
    )
    await send(producer, tenant, CUSTOMER_X, "m1")
    await until_true(lambda: len(answered(genesys_sim)) >= 1, 5.0)
    await send(producer, tenant, CUSTOMER_X, "m2")
    await send(producer, tenant, CUSTOMER_X, "m3")
    await until_true(lambda: len(delivered(genesys_sim)) >= 3, 15.0)

    assert [(a["text"], a["status"]) for a in answered(genesys_sim)] == [
        ("m1", 429),
        ("m1", 429),
        ("m1", 200),
        ("m2", 200),
        ("m3", 200),
    ]
