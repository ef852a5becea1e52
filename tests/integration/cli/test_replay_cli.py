"""``wagen replay``: exactly a tenant's raw webhooks of the window go out again, audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from pipeline.kafka.topics import WA_WEBHOOKS
from pipeline.settings import WagenSettings
from tests.integration.cli.conftest import json_lines, send, wagen
from tests.integration.kafka_tail import TopicTail


async def _audit(dsn: str, tenant: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('wagen.tenant_id', $1, true)", tenant)
            rows = await conn.fetch(
                "SELECT action, target, details FROM audit_log WHERE tenant_id = $1", tenant
            )
    finally:
        await conn.close()
    return [{**dict(r), "details": json.loads(r["details"])} for r in rows]


async def test_replay_republishes_exactly_the_tenants_records_of_the_window(
    settings: WagenSettings,
    producer: AIOKafkaProducer,
    migrated_database: str,
    unique_name: str,
) -> None:
    tenant, other = unique_name.replace("test-", "t"), unique_name.replace("test-", "o")
    env = {"WAGEN_POSTGRES_DSN": migrated_database}
    # tenants create --json prints one line, for scripts (the tenant need not exist to replay).
    created = await wagen(env, "tenants", "create", tenant, "--name", "Replay", "--json")
    assert created.exit_code == 0, created.output
    [line] = created.stdout.splitlines()
    assert json.loads(line)["tenant"]["tenantId"] == tenant

    start = datetime.now(UTC) - timedelta(seconds=2)
    bodies = [json.dumps({"entry": [], "n": n}).encode() for n in range(3)]
    originals = await send(producer, WA_WEBHOOKS, tenant, bodies, headers=[("source", b"meta")])
    await send(producer, WA_WEBHOOKS, other, [b'{"other": 1}'] * 2)
    since = start.isoformat()
    window = ("replay", "--tenant", tenant, "--since", since, "--topic", WA_WEBHOOKS, "--json")

    [dry] = json_lines(await wagen(env, *window, "--dry-run"))
    assert (dry["matched"], dry["published"], dry["dry_run"]) == (3, 0, True)
    assert dry["scanned"] >= 5
    until = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    [bounded] = json_lines(await wagen(env, *window, "--until", until, "--dry-run"))
    assert bounded["matched"] == 3
    earlier = (start - timedelta(minutes=1)).isoformat()
    before = ("replay", "--tenant", tenant, "--since", earlier, "--until", since, "--json")
    assert json_lines(await wagen(env, *before, "--dry-run"))[0]["matched"] == 0

    async with TopicTail(settings, WA_WEBHOOKS) as tail:
        [done] = json_lines(await wagen(env, *window))
        copies = await tail.records_for(tenant.encode(), 3)
    assert (done["matched"], done["published"], done["copies_skipped"]) == (3, 3, 0)
    assert sorted(value for value, _ in copies) == sorted(bodies)
    refs = {f"{WA_WEBHOOKS}:{p}:{o}" for p, o in originals}
    assert {h["replayed_from"].decode() for _, h in copies} == refs
    assert all(h["tenant_id"] == tenant.encode() and h["source"] == b"meta" for _, h in copies)

    [audited] = [
        a for a in await _audit(migrated_database, tenant) if a["action"] == "topic.replay"
    ]
    assert audited["target"] == WA_WEBHOOKS
    assert audited["details"]["published"] == 3

    # Again: the originals go out once more; the copies of the first replay are skipped.
    [again] = json_lines(await wagen(env, *window, "--dry-run"))
    assert (again["matched"], again["copies_skipped"]) == (3, 3)

    text = await wagen(env, "replay", "--tenant", tenant, "--since", since, "--dry-run")
    assert text.exit_code == 0
    assert text.stdout.startswith(f"would re-drive 3 record(s) of tenant {tenant}")
