"""Genesys answering 500 forever: the event reaches ``wa.events.dlq`` after the configured
attempts; ``wagen dlq replay`` (the real CLI) delivers it, once, after Genesys recovers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from aiokafka import AIOKafkaProducer

from connectors.sandbox.common import FailureRule
from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, dlq_topic, retry_topic
from pipeline.settings import WagenSettings
from tests.conftest import REPO_ROOT
from tests.integration.acceptance.stack import (
    Genesys,
    Tenants,
    Workers,
    publish,
    text_webhook,
    wait_caught_up,
)
from tests.integration.kafka_tail import TopicTail

ATTEMPTS = 3
RETRY = {"WAGEN_WORKER_RETRY_ATTEMPTS": str(ATTEMPTS), "WAGEN_WORKER_RETRY_BASE_DELAY_S": "0.2"}


def _dlq_replay(env: dict[str, str], tenant_id: str) -> list[dict[str, object]]:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "dlq", "replay", "--topic", WA_EVENTS,
         "--tenant", tenant_id, "--json"],
        cwd=REPO_ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


async def test_500_forever_goes_to_the_dlq_and_a_replay_delivers_it_once(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    tenant = await tenants.create("dlq")
    await workers.start(unique_name, RETRY)
    genesys.sandbox.failures.add(
        FailureRule(
            kind="server_error",
            status=500,
            scope=tenant.integration_id,
            operation="message",
            count=10_000,
        )
    )
    wamid = f"wamid.dlq-{uuid.uuid4().hex}"
    key = f"{tenant.tenant_id}:".encode()
    async with TopicTail(tenancy_settings, dlq_topic(WA_EVENTS)) as dlq:
        await publish(producer, tenant.tenant_id, text_webhook(tenant, "15551112222", wamid, "hi"))
        # Only our worker's entry: a worker of another test running at the same time reads
        # the shared topics too, and dead-letters our tenant as unknown to its database.
        ours: list[dict[str, bytes]] = []
        for _ in range(60):
            found = await dlq.records_for(key, 1, prefix=True, rounds=1)
            ours += [h for _, h in found if h.get("dlq_error_code") != b"tenant_not_found"]
            if ours:
                break
        [headers] = ours

    assert headers["dlq_attempts"] == str(ATTEMPTS).encode()
    assert headers["dlq_source_topic"] == WA_EVENTS.encode()
    assert b"HTTP 500" in headers["dlq_error"]
    history = json.loads(headers["retry_history"])
    assert [h["attempt"] for h in history] == list(range(1, ATTEMPTS + 1))
    assert all("HTTP 500" in h["error"] for h in history)
    assert [c.status for c in genesys.calls] == [500] * ATTEMPTS
    assert all(c.message_id == wamid for c in genesys.calls)

    genesys.sandbox.failures.clear()  # Genesys recovers
    env = workers.env(unique_name)
    replayed = _dlq_replay(env, tenant.tenant_id)
    assert replayed  # (more than one entry only when another test's worker dead-lettered it)
    assert {r["outcome"] for r in replayed} == {f"replayed to {WA_EVENTS}"}

    [delivered] = await genesys.wait_delivered(1, timeout_s=10)
    assert delivered.message_id == wamid
    # Everything the replay set off has been handled: still exactly one delivery.
    servers = tenancy_settings.kafka.servers
    await wait_caught_up(servers, unique_name, [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)])
    assert genesys.delivered() == [delivered]
    again = _dlq_replay(env, tenant.tenant_id)
    assert {r["outcome"] for r in again} == {"skipped: replayed before (use --force)"}
