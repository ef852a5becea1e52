"""``ensure_topics`` and ``wagen topics`` against the real broker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from pipeline.kafka.topics import TOPICS, TopicSpec, ensure_topics, group_topics
from pipeline.settings import WagenSettings
from tests.conftest import REPO_ROOT


@pytest.fixture
async def admin(settings: WagenSettings) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


async def _retention_ms(admin: AIOKafkaAdminClient, name: str) -> str:
    [response] = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name, {"retention.ms": None})]
    )
    [resource] = response.to_object()["resources"]
    [entry] = resource["config_entries"]
    value: str = entry["config_value"]
    return value


def _specs(prefix: str) -> tuple[TopicSpec, ...]:
    return tuple(replace(spec, name=f"{prefix}.{spec.name}") for spec in TOPICS[:3])


async def test_creates_then_leaves_alone_then_repairs_drift(
    admin: AIOKafkaAdminClient, unique_name: str
) -> None:
    specs = _specs(unique_name)
    names = [s.name for s in specs]
    try:
        first = await ensure_topics(admin, specs, partitions=3, replication_factor=1)
        assert [(o.name, o.action, o.partitions) for o in first] == [
            (n, "created", 3) for n in names
        ]
        second = await ensure_topics(admin, specs, partitions=3, replication_factor=1)
        assert {o.action for o in second} == {"unchanged"}

        # Someone shortened retention by hand: ensure puts the declared value back.
        await admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC,
                    names[0],
                    {"retention.ms": "1000", "cleanup.policy": "delete"},
                )
            ]
        )
        # Config changes reach the broker's metadata cache asynchronously (KRaft).
        async with asyncio.timeout(10):
            while True:
                if await _retention_ms(admin, names[0]) == "1000":
                    break
                await asyncio.sleep(0.1)
        third = await ensure_topics(admin, specs, partitions=3, replication_factor=1)
        assert [o.action for o in third] == ["reconfigured", "unchanged", "unchanged"]
        fourth = await ensure_topics(admin, specs, partitions=3, replication_factor=1)
        assert {o.action for o in fourth} == {"unchanged"}
    finally:
        await admin.delete_topics(names)


async def test_too_few_partitions_is_reported_not_changed(
    admin: AIOKafkaAdminClient, unique_name: str
) -> None:
    specs = _specs(unique_name)[:1]
    try:
        await ensure_topics(admin, specs, partitions=2, replication_factor=1)
        [outcome] = await ensure_topics(admin, specs, partitions=6, replication_factor=1)
        assert outcome.partitions == 2
        assert outcome.warning is not None
        assert "grow it deliberately" in outcome.warning
        [described] = await admin.describe_topics([specs[0].name])
        assert len(described["partitions"]) == 2
    finally:
        await admin.delete_topics([specs[0].name])


def test_retention_is_declared_in_milliseconds() -> None:
    spec = TopicSpec("t", "p", "k", timedelta(days=7))
    assert spec.configs(2) == {
        "cleanup.policy": "delete",
        "retention.ms": "604800000",
        "min.insync.replicas": "2",
    }


def test_cli_ensure_is_idempotent_on_the_real_topics(settings: WagenSettings) -> None:
    command = [sys.executable, "-m", "pipeline", "topics", "ensure", "--json"]
    runs = [
        subprocess.run(
            command, cwd=REPO_ROOT, env=dict(os.environ), capture_output=True, text=True, check=True
        )
        for _ in range(2)
    ]
    lines = [json.loads(line) for line in runs[1].stdout.splitlines()]
    outcomes = [line for line in lines if "check" not in line]
    # wagen's topics, then the worker group's own (Faust's leader election, one partition).
    group = group_topics(settings.worker.app_id)
    assert [o["name"] for o in outcomes] == [s.name for s in (*TOPICS, *group)]
    assert {o["action"] for o in outcomes} == {"unchanged"}
    assert outcomes[-1]["partitions"] == 1
    # Then what the cluster promises: one dev broker, one replica, noted (no warning).
    [finding] = [line for line in lines if line.get("check") == "durability"]
    assert finding["level"] == "ok"
    assert "no broker may fail" in finding["message"]
