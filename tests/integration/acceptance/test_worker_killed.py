"""A worker killed with SIGKILL in the middle of 1,000 messages (20 conversations of 50) and
restarted in the same group: all 1,000 reach Genesys, each conversation in order.

The kill lands while one Genesys call is provably in flight (the simulator holds its answer
back 2.5 s, inside the client's 3 s timeout), so the run is the same every time: Genesys
has accepted that message, the worker has not recorded it. The restarted worker finds the
message in doubt, looks it up in the customer's Genesys conversation and records it
without sending it again (pipeline/worker/reconcile.py). The delivery claim's lease is
5 s here (120 s by default), so the restarted worker takes the message over at once
instead of parking it on the retry topic for two minutes.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaProducer

from connectors.sandbox.common import FailureRule
from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, retry_topic
from pipeline.settings import WagenSettings
from tests.integration.acceptance.stack import (
    Genesys,
    GenesysCall,
    Tenants,
    Workers,
    text_webhook,
    wait_caught_up,
    webhook_record,
)

WORKER = {
    # Faust's own commit interval: a kill loses up to this much committed progress.
    "BROKER_COMMIT_INTERVAL": "2.8",
    "WAGEN_WORKER_CLAIM_LEASE_S": "5",
    # The message in flight at the kill is looked up in Genesys once the lease has run out.
    "WAGEN_WORKER_IN_DOUBT_SETTLE_S": "2",
    # A tenant with a raised Genesys limit (the default paces one client to 300 calls/min):
    # this test is about the crash, not the pacing.
    "WAGEN_PACING_GENESYS_PER_MINUTE": "60000",
    "WAGEN_PACING_GENESYS_BURST": "100",
}


@dataclass(frozen=True)
class KillRun:
    """What the simulator saw: every accepted call, the message in flight at the kill."""

    delivered: list[GenesysCall]
    in_flight: str
    before_kill: int
    elapsed_s: float


async def _kill_mid_stream(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    settings: WagenSettings,
    group: str,
    conversations: int,
    per_conversation: int,
) -> KillRun:
    total = conversations * per_conversation
    # Unlimited plan: 1,000 messages would use up the test "starter" plan exactly.
    tenant = await tenants.create("kill", plan="enterprise")
    first = await workers.start(group, WORKER)

    started = time.monotonic()
    for n in range(per_conversation):
        for c in range(conversations):  # the conversations interleaved, each in order
            body = text_webhook(tenant, f"1555{c:07d}", f"wamid.k-{c}-{n}-{group}", f"{c}:{n}")
            record = webhook_record(tenant.tenant_id, body)
            await producer.send(record.pop("topic"), **record)
    await producer.flush()

    await genesys.wait_delivered(total * 3 // 10, timeout_s=60)
    genesys.sandbox.failures.add(
        FailureRule(kind="timeout", delay_s=2.5, scope=tenant.integration_id, operation="message")
    )
    for _ in range(1000):  # within 10 s, the next call is held back
        if any(c.delayed for c in genesys.calls):
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("no Genesys call after the 30% mark")
    Workers.kill(first)  # Genesys has the message, the worker has not recorded it
    [held_back] = [c for c in genesys.calls if c.delayed]
    before_kill = len(genesys.delivered())
    assert before_kill < total, "the stream ended before the kill: make it longer"

    await workers.start(group, WORKER)  # the same group: it resumes from its last commits
    await genesys.wait_delivered(total, timeout_s=180)
    elapsed = time.monotonic() - started
    await wait_caught_up(
        settings.kafka.servers, group, [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)]
    )
    assert held_back.message_id is not None
    return KillRun(genesys.delivered(), held_back.message_id, before_kill, elapsed)


def _order(delivered: list[GenesysCall]) -> dict[str, list[int]]:
    """Each conversation's message numbers in the order Genesys first accepted them."""
    seen: set[str | None] = set()
    order: defaultdict[str, list[int]] = defaultdict(list)
    for call in delivered:
        if call.message_id in seen:
            continue
        seen.add(call.message_id)
        conversation, number = (call.text or "").split(":")
        order[conversation].append(int(number))
    return order


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_worker_killed_mid_stream_loses_nothing_and_keeps_each_conversation_in_order(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    conversations, per_conversation = 20, 50
    run = await _kill_mid_stream(
        tenants, workers, genesys, producer, tenancy_settings, unique_name,
        conversations, per_conversation,
    )  # fmt: skip
    ids = [c.message_id for c in run.delivered]
    assert len(set(ids)) == conversations * per_conversation
    order = _order(run.delivered)
    assert len(order) == conversations
    out_of_order = {c: n for c, n in order.items() if n != list(range(per_conversation))}
    assert out_of_order == {}
    # The message in flight at the kill was accepted by Genesys but not recorded: the
    # restarted worker finds it in the conversation instead of sending it again.
    assert Counter(ids)[run.in_flight] == 1
    doubled = sorted(str(m) for m, k in Counter(ids).items() if k > 1)
    assert doubled == []
    print(
        f"{len(ids)} accepted calls for {len(set(ids))} messages; killed after "
        f"{run.before_kill}; {run.elapsed_s:.1f}s"
    )


@pytest.mark.timeout(120)
async def test_a_message_accepted_by_genesys_as_the_worker_dies_is_recorded_not_resent(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    run = await _kill_mid_stream(
        tenants, workers, genesys, producer, tenancy_settings, unique_name, 4, 25
    )
    assert Counter(c.message_id for c in run.delivered)[run.in_flight] == 1
    # It was settled by asking Genesys, not by luck: the conversation was read.
    lookups = [e["operation"] for e in genesys.sandbox.requests.entries if e["status"] == 200]
    assert "conversation" in lookups
    assert "messages_bulk" in lookups
