"""Held events go back to ``wa.events`` once their reason lifts (a bigger plan), audited."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from aiokafka import AIOKafkaProducer

from pipeline.kafka.topics import WA_EVENTS, held_topic
from pipeline.runtime.resources import open_resources, tenancy_services
from pipeline.settings import WagenSettings
from tenancy.audit import Actor
from tenancy.models import TenantPatch
from tests.conftest import REPO_ROOT
from tests.integration.kafka_tail import TopicTail

PLANS = {
    "tiny": {"monthly_messages": 1, "requests_per_second": 10},
    "big": {"monthly_messages": 100, "requests_per_second": 10},
}


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


def _create_tenant(env: dict[str, str], tenant: str) -> dict[str, dict[str, str]]:
    created = subprocess.run(
        [sys.executable, "-m", "pipeline", "tenants", "create", tenant, "--name", "Held",
         "--plan", "tiny", "--json"],
        cwd=REPO_ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    body: dict[str, dict[str, str]] = json.loads(created.stdout)
    return body


async def test_quota_held_events_are_released_after_an_upgrade(
    settings: WagenSettings, migrated_database: str, unique_name: str
) -> None:
    tenant = unique_name.replace("test-", "t")
    env = {
        "WAGEN_POSTGRES_DSN": migrated_database,
        "WAGEN_TENANCY_PLANS": json.dumps(PLANS),
        "WAGEN_TENANCY_DEFAULT_PLAN": "tiny",
        "WAGEN_TENANCY_REDIS_PREFIX": f"{unique_name}:",
    }
    assert _create_tenant(env, tenant)["tenant"]["plan"] == "tiny"
    tuned = _settings(settings, env)
    async with open_resources(tuned) as resources:
        tenancy = tenancy_services(tuned, resources)
        # The month's one message is used, as the forward agent would have counted it.
        await tenancy.quota.consume(tenant, "tiny")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.servers, acks="all")
    await producer.start()
    try:
        for n in range(2):
            await producer.send_and_wait(
                held_topic(WA_EVENTS),
                f'{{"n": {n}}}'.encode(),
                key=f"{tenant}:1555000{n}".encode(),
                headers=[
                    ("tenant_id", tenant.encode()),
                    ("held_reason", b"monthly_quota_exceeded"),
                    ("held_at_ms", b"1700000000000"),
                ],
            )
    finally:
        await producer.stop()

    listed = _wagen(env, "held", "list", "--tenant", tenant)
    assert [row["reason"] for row in listed] == ["monthly_quota_exceeded"] * 2
    kept = _wagen(env, "held", "release", "--tenant", tenant)
    assert {row["outcome"] for row in kept} == {"kept: monthly quota still used up"}

    async with TopicTail(settings, WA_EVENTS) as events:
        # The upgrade: 100 messages a month leaves room for both.
        async with open_resources(tuned) as resources:
            await tenancy_services(tuned, resources).tenants.update(
                tenant, TenantPatch(plan="big"), Actor(label="admin:test", request_id=None)
            )
        released = _wagen(env, "held", "release", "--tenant", tenant)
        assert {row["outcome"] for row in released} == {f"released to {WA_EVENTS}"}
        arrived = await events.records_for(f"{tenant}:".encode(), 2, prefix=True)
    assert sorted(json.loads(value)["n"] for value, _ in arrived) == [0, 1]
    assert all("held_reason" not in headers for _, headers in arrived)
    assert _wagen(env, "held", "list", "--tenant", tenant) == []


def _settings(settings: WagenSettings, env: dict[str, str]) -> WagenSettings:
    """The test's settings as the CLI subprocesses read them from ``env``."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return WagenSettings()
