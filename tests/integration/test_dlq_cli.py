"""``wagen dlq list|show|replay`` against the real broker and database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from aiokafka import AIOKafkaProducer

from pipeline.settings import WagenSettings
from pipeline.topics import WA_EVENTS, dlq_topic
from tests.conftest import REPO_ROOT
from tests.integration.kafka_tail import TopicTail


def _wagen(env: dict[str, str], *args: str) -> list[dict[str, object]]:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", *args, "--json"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines()]


async def test_list_then_replay_once_then_force(
    settings: WagenSettings, migrated_database: str, unique_name: str
) -> None:
    tenant = unique_name.replace("test-", "t")
    env = {"WAGEN_POSTGRES_DSN": migrated_database}
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            dlq_topic(WA_EVENTS),
            b'{"event": 1}',
            key=f"{tenant}:15551234567".encode(),
            headers=[
                ("tenant_id", tenant.encode()),
                ("request_id", b"req-9"),
                ("attempt", b"6"),
                ("retry_history", b"[]"),
                ("dlq_source_topic", WA_EVENTS.encode()),
                ("dlq_error_code", b"genesys_server_error"),
                ("dlq_error", b"500 forever"),
                ("dlq_at_ms", b"1700000000000"),
            ],
        )
    finally:
        await producer.stop()

    [listed] = _wagen(env, "dlq", "list", "--topic", WA_EVENTS, "--tenant", tenant)
    assert listed["error_code"] == "genesys_server_error"
    assert listed["source_topic"] == WA_EVENTS

    async with TopicTail(settings, WA_EVENTS) as events:
        [first] = _wagen(env, "dlq", "replay", "--topic", WA_EVENTS, "--tenant", tenant)
        assert first == {"ref": listed["ref"], "outcome": f"replayed to {WA_EVENTS}"}
        [(value, headers)] = await events.records_for(f"{tenant}:15551234567".encode(), 1)
    assert value == b'{"event": 1}'
    assert headers["request_id"] == b"req-9"
    assert headers["replayed_from"] == str(listed["ref"]).encode()
    assert not any(k.startswith("dlq_") for k in headers)
    assert "attempt" not in headers
    assert "retry_history" not in headers

    [again] = _wagen(env, "dlq", "replay", "--topic", WA_EVENTS, "--tenant", tenant)
    assert again["outcome"] == "skipped: replayed before (use --force)"
    [forced] = _wagen(env, "dlq", "replay", "--topic", WA_EVENTS, "--tenant", tenant, "--force")
    assert forced["outcome"] == f"replayed to {WA_EVENTS}"
    assert _wagen(env, "dlq", "list", "--topic", WA_EVENTS, "--tenant", "nobody") == []
