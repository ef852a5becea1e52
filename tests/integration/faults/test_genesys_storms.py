"""The Genesys simulator misbehaves for one tenant: a storm of 429s (with ``Retry-After``),
a storm of 5xx, or slow answers (below the client's timeout).

The stormed tenant's messages all arrive, once each and in conversation order, none in
the DLQ; the other tenant, served by the same worker meanwhile, sees no failure at all.
"""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer

from connectors.sandbox.common import FailureRule
from pipeline.kafka.topics import WA_EVENTS, WA_WEBHOOKS, dlq_topic, retry_topic
from pipeline.settings import WagenSettings
from tests.integration.acceptance.stack import Genesys, Tenants, Workers, wait_caught_up
from tests.integration.faults.harness import (
    FAST_RECOVERY,
    messages,
    publish_all,
    tails,
    tenant_records,
    wait_for_all,
)

pytestmark = pytest.mark.faults

STORM = 12
"""Failed answers in a 429 or 5xx storm (fewer than the retry attempts of one message)."""


def storm(kind: str, integration_id: str, size: int) -> FailureRule:
    """The failure rule of a storm of ``kind`` on one integration's message calls."""
    if kind == "rate_limit":
        return FailureRule(
            kind="rate_limit", scope=integration_id, operation="message", count=STORM,
            retry_after=1,
        )  # fmt: skip
    if kind == "server_error":
        return FailureRule(
            kind="server_error", scope=integration_id, operation="message", count=STORM
        )
    # Slow but within the worker's 3 s client timeout: every call of the tenant.
    return FailureRule(
        kind="timeout", scope=integration_id, operation="message", count=size, delay_s=0.4
    )


@pytest.mark.parametrize(
    "kind", [pytest.param("rate_limit", marks=pytest.mark.slow), "server_error", "slow"]
)
@pytest.mark.timeout(150)
async def test_a_genesys_storm_on_one_tenant_loses_nothing_and_spares_the_other(
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    producer: AIOKafkaProducer,
    tenancy_settings: WagenSettings,
    unique_name: str,
    kind: str,
) -> None:
    stormed, spared = await tenants.create("sa"), await tenants.create("sb")
    await workers.start(unique_name, FAST_RECOVERY)
    hit = messages(stormed, 3, 10, tag=kind)
    calm = messages(spared, 3, 5, tag=kind)
    genesys.sandbox.failures.add(storm(kind, stormed.integration_id, len(hit)))
    async with tails(tenancy_settings, dlq_topic(WA_EVENTS)) as (dlq,):
        await publish_all(producer, hit[:15] + calm + hit[15:])
        hit_result = await wait_for_all(genesys, hit, timeout_s=90, settle_s=0)
        calm_result = await wait_for_all(genesys, calm, timeout_s=30)
        await wait_caught_up(
            tenancy_settings.kafka.servers,
            unique_name,
            [WA_WEBHOOKS, WA_EVENTS, retry_topic(WA_EVENTS)],
            timeout_s=60,
        )
        dead = await tenant_records(dlq, [stormed, spared])
    for result, sent in ((hit_result, hit), (calm_result, calm)):
        assert result.missing == []
        assert (result.distinct, result.total, result.doubled) == (len(sent), len(sent), [])
        assert result.out_of_order == {}
    assert dead == []
    refused = [c for c in genesys.calls if c.status != 200]
    assert {c.integration_id for c in refused} <= {stormed.integration_id}
    if kind != "slow":
        # The storm happened, in full, to the stormed tenant only.
        assert len([c for c in refused if c.kind == "message"]) == STORM
    else:
        assert refused == []
