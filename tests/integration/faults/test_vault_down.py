"""Vault (OpenBao) stopped while a tenant's messages flow, then started again.

The worker caches a tenant's Genesys credentials for ``WAGEN_WORKER_TENANT_CACHE_TTL_S``
(short here): while the cached copy is fresh, messages keep flowing with Vault down. Once
it expires, each message fails with ``vault_unavailable`` and waits on the retry topic —
never dropped, never dead-lettered. After Vault is back everything is delivered once.

The local stack runs OpenBao in dev mode, which keeps secrets in memory only
(``deploy/local/stacklib/openbao.py``): a restart loses them. The test therefore writes the
tenant's credentials back after the restart, as an operator restoring Vault from a backup
would. A retry that reads Vault between its restart and that restore finds no credentials
and is held (``credentials_missing``); the worker's held releaser sends it on once the
credentials are there. Either way: held or retried, not lost.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import AIOKafkaProducer

from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, dlq_topic, held_topic, retry_topic
from pipeline.settings import WagenSettings
from tenancy.services import Tenancy
from tenancy.vault import VaultClient
from tests.integration.acceptance.stack import Genesys, Tenants, Workers, wait_caught_up
from tests.integration.faults.harness import (
    FAST_RECOVERY,
    messages,
    publish_all,
    service_stopped,
    tails,
    tally,
    tenant_records,
    wait_for_all,
)

pytestmark = [pytest.mark.faults, pytest.mark.slow]

CACHE_TTL_S = 12.0


@pytest.mark.timeout(240)
async def test_vault_down_serves_cached_credentials_then_retries_until_it_is_back(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    tenancy: Tenancy,
    vault: VaultClient,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    tenant = await tenants.create("va")
    await workers.start(
        unique_name,
        {
            **FAST_RECOVERY,
            "WAGEN_WORKER_TENANT_CACHE_TTL_S": str(CACHE_TTL_S),
            "WAGEN_WORKER_HELD_RELEASE_INTERVAL_S": "1",
        },
    )
    paths = [tenancy.credentials.path(tenant.tenant_id, kind) for kind in ("meta", "genesys")]
    backup = {path: found[0] for path in paths if (found := await vault.kv_read(path))}
    assert len(backup) == 2

    warm = messages(tenant, 3, 1, tag="w")
    cached = messages(tenant, 3, 2, tag="c", start=1)
    stale = messages(tenant, 3, 2, tag="s", start=3)
    sent = warm + cached + stale
    async with tails(
        tenancy_settings, retry_topic(WA_EVENTS), dlq_topic(WA_EVENTS), held_topic(WA_EVENTS)
    ) as (retries, dlq, held):
        await publish_all(producer, warm)
        assert (await wait_for_all(genesys, warm, timeout_s=30, settle_s=0)).missing == []
        # The credentials were read before the first delivery: they expire before this.
        expiry = time.monotonic() + CACHE_TTL_S
        async with service_stopped("openbao"):
            await publish_all(producer, cached)
            during = await wait_for_all(genesys, cached, timeout_s=expiry - time.monotonic())
            assert during.missing == [], "cached credentials did not carry the tenant"

            await asyncio.sleep(max(0.0, expiry - time.monotonic()) + 0.5)
            await publish_all(producer, stale)
            failed = await tenant_records(retries, [tenant], rounds=20)
            assert tally(genesys.calls, stale).distinct == 0
        # Failed attempts carry their error; the messages queued behind them in their
        # conversation (deferred, not tried) carry none.
        codes = {h["last_error_code"] for _, h in failed if "last_error_code" in h}
        assert codes == {b"vault_unavailable"}, codes
        for path, data in backup.items():  # dev mode forgot them: restore, as an operator
            await vault.kv_write(path, data)

        result = await wait_for_all(genesys, sent, timeout_s=90)
        await wait_caught_up(
            tenancy_settings.kafka.servers,
            unique_name,
            [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)],
            timeout_s=60,
        )
        dead = await tenant_records(dlq, [tenant])
        parked = await tenant_records(held, [tenant], rounds=2)
    assert result.missing == []
    assert (result.distinct, result.total, result.doubled) == (len(sent), len(sent), [])
    assert result.out_of_order == {}
    assert dead == []
    assert {h.get("held_reason") for _, h in parked} <= {b"credentials_missing"}
