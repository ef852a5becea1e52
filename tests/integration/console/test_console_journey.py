"""A message's journey, in Chromium, for messages that really crossed the sandbox: the Meta
simulator posts a customer's webhook to a real gateway, a real worker carries it to the
Genesys simulator; an agent's reply goes the other way and Meta reports it delivered.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from connectors.sandbox.common import FailureRule
from connectors.sandbox.meta_state import NumberConfig
from connectors.signatures import SIGNATURE_HEADER, sign_genesys
from pipeline.console.doctor import StoredFactsDoctor
from pipeline.console.pipeline_health import read_health
from pipeline.kafka.topics import GENESYS_WEBHOOKS, WA_EVENTS, WA_WEBHOOKS
from pipeline.settings import WagenSettings
from pipeline.store.journey_reads import Journey, read_journey
from tenancy.audit import Actor
from tenancy.services import Tenancy
from tests.integration.acceptance.stack import OUTBOUND_SECRET, Genesys, Tenants, Workers
from tests.integration.console.browser import (
    assert_clean,
    gateway_env,
    new_page,
    shoot,
    sign_in,
    start_gateway,
    stop_gateway,
)
from tests.integration.genesys_bodies import agent_webhook
from tests.integration.worker.harness import MetaSim

CUSTOMER = "15557650001"


async def _journey_with(
    tenancy: Tenancy, tenant_id: str, message_id: str, step: str, timeout_s: float = 30
) -> Journey:
    """The message's journey once it has a ``step`` row (the worker writes it on commit)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = await read_journey(tenancy.state.pool, tenant_id, message_id)
        if found is not None and any(s.step == step for s in found.steps):
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"no {step!r} step for {message_id} within {timeout_s}s: {found}")
        await asyncio.sleep(0.2)


async def test_the_journey_of_a_sandbox_message_both_ways(
    browser: Browser,
    tenants: Tenants,
    workers: Workers,
    genesys: Genesys,
    meta: MetaSim,
    tenancy: Tenancy,
    admin: Actor,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    tenant = await tenants.create("journey")
    await workers.start(unique_name)
    gateway = await start_gateway(gateway_env(tenancy_settings, workers.env(unique_name)))
    try:
        number = meta.sandbox.numbers[tenant.number]
        meta.sandbox.numbers[tenant.number] = NumberConfig(
            phone_number_id=tenant.number,
            access_token=number.access_token,
            app_secret=tenant.app_secret,
            webhook_url=f"{gateway.url}/webhooks/meta/{tenant.tenant_id}",
        )
        async with aiohttp.ClientSession() as http:
            # The customer writes: the Meta simulator signs the webhook and posts it.
            async with http.post(
                f"{meta.url}/_sandbox/webhooks/message",
                json={
                    "phone_number_id": tenant.number,
                    "from": CUSTOMER,
                    "name": "Dana Levi",
                    "text": "Where is my order?",
                },
            ) as response:
                emitted = await response.json()
                assert emitted["delivery_status"] == 200, emitted
            wamid = emitted["body"]["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            await genesys.wait_delivered(1, timeout_s=60)
            inbound = await _journey_with(tenancy, tenant.tenant_id, wamid, "delivered")

            # The agent answers through the gateway; Meta then reports it delivered.
            reply = agent_webhook(tenant.integration_id, CUSTOMER, text="It ships today")
            genesys_id = json.loads(reply)["id"]
            correlation = f"console-journey-{uuid.uuid4().hex[:8]}"
            async with http.post(
                f"{gateway.url}/webhooks/genesys/{tenant.tenant_id}",
                data=reply,
                headers={
                    SIGNATURE_HEADER: sign_genesys(reply, OUTBOUND_SECRET),
                    "X-Request-Id": correlation,
                },
            ) as response:
                assert response.status == 200, await response.text()
            await _journey_with(tenancy, tenant.tenant_id, genesys_id, "delivered")
            [sent] = meta.sandbox.sent
            async with http.post(
                f"{meta.url}/_sandbox/webhooks/status",
                json={"phone_number_id": tenant.number, "id": sent["wamid"], "status": "delivered"},
            ) as response:
                assert (await response.json())["delivery_status"] == 200
            outbound = await _journey_with(tenancy, tenant.tenant_id, genesys_id, "receipt")

            # Genesys refuses the next message once (503): it waits on the retry topic, then
            # goes through.
            genesys.sandbox.failures.add(
                FailureRule(
                    kind="server_error",
                    status=503,
                    scope=tenant.integration_id,
                    operation="message",
                    count=1,
                )
            )
            async with http.post(
                f"{meta.url}/_sandbox/webhooks/message",
                json={
                    "phone_number_id": tenant.number,
                    "from": CUSTOMER,
                    "name": "Dana Levi",
                    "text": "Hello? Anyone?",
                },
            ) as response:
                again = await response.json()
            retried_id = again["body"]["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            retried = await _journey_with(tenancy, tenant.tenant_id, retried_id, "delivered", 60)

        [delivered] = [s for s in inbound.steps if s.step == "delivered"]
        webhook = delivered.detail["webhook"]
        genesys_message_id = delivered.detail["genesysMessageId"]
        assert webhook["topic"] == WA_WEBHOOKS
        assert delivered.position is not None
        assert delivered.position.topic == WA_EVENTS
        assert genesys_message_id
        assert [s.correlation_id for s in outbound.steps if s.step == "delivered"] == [correlation]
        assert [s.step for s in retried.steps] == ["retry", "delivered"]
        retry_step, final = retried.steps
        assert retry_step.detail["to"] == f"{WA_EVENTS}.retry"
        assert retry_step.detail["code"] == "genesys_retryable"
        assert final.position is not None
        assert final.position.topic == f"{WA_EVENTS}.retry"
        assert final.attempt == 2
        assert [f["attempt"] for f in final.detail["failures"]] == [1]
        assert final.detail["origin"]["topic"] == WA_EVENTS  # its first copy, kept

        # The connections' "last webhook": Meta's newest is the retried message, Genesys's
        # the agent's reply (Meta's status of that reply counts as Meta's).
        meta_side, genesys_side = await StoredFactsDoctor(tenancy, tenancy.state.pool).examine(
            tenant.tenant_id
        )
        assert meta_side.activity.last_webhook is not None
        assert meta_side.activity.last_webhook.message_id == retried_id
        assert genesys_side.activity.last_webhook is not None
        assert genesys_side.activity.last_webhook.step == "delivered"
        assert genesys_side.activity.last_webhook.correlation_id == correlation
        assert [c.state for c in (*meta_side.checks, *genesys_side.checks)] == ["ok"] * 6

        # Pipeline health reads this worker group's lag and the hour's traffic from Kafka.
        health = await read_health(tenancy_settings.kafka, unique_name)
        assert health.error is None
        assert health.lag_note is None
        assert {WA_WEBHOOKS, WA_EVENTS, GENESYS_WEBHOOKS} <= set(health.lag)
        flows = {f.topic: f.total for f in health.flow}
        assert flows[WA_WEBHOOKS] >= 3  # two messages and a status, at least (shared topic)
        assert flows[GENESYS_WEBHOOKS] >= 1

        key = await tenancy.keys.create(tenant.tenant_id, "console", admin)
        page = await new_page(browser)
        await sign_in(page, gateway.url, key.key)
        await page.get_by_role("link", name="Conversations").click()
        await page.get_by_label("Find a customer").fill("Dana")
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("link", name="Dana Levi").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Dana Levi")
        await shoot(page, "conversation")

        await page.get_by_role("link", name=f"Journey of {wamid}").click()
        timeline = page.locator("ol.timeline")
        await expect(timeline).to_contain_text("Meta's webhook received and stored")
        await expect(timeline).to_contain_text(
            f"{WA_WEBHOOKS} · partition {webhook['partition']} · offset {webhook['offset']}"
        )
        await expect(timeline).to_contain_text("Split into one event per message")
        await expect(timeline).to_contain_text("Claimed by a worker")
        await expect(timeline).to_contain_text("Delivered to Genesys")
        await expect(timeline).to_contain_text(genesys_message_id)
        await expect(timeline).to_contain_text(
            f"{WA_EVENTS} · partition {delivered.position.partition} · offset "
            f"{delivered.position.offset}"
        )
        await expect(page.locator("main")).to_contain_text(str(delivered.correlation_id))
        await shoot(page, "journey-inbound")

        await page.go_back()
        await page.get_by_role("link", name=f"Journey of {genesys_id}").click()
        timeline = page.locator("ol.timeline")
        await expect(timeline).to_contain_text("Genesys's webhook (the agent's message) received")
        await expect(timeline).to_contain_text(f"{GENESYS_WEBHOOKS} · partition")
        await expect(timeline).to_contain_text("Sent to WhatsApp (Meta)")
        await expect(timeline).to_contain_text(sent["wamid"])
        await expect(timeline).to_contain_text("Meta reported delivered: receipt sent to Genesys")
        await expect(page.locator("main")).to_contain_text(correlation)
        await shoot(page, "journey-outbound")

        await page.go_back()
        await page.get_by_role("link", name=f"Journey of {retried_id}").click()
        timeline = page.locator("ol.timeline")
        await expect(timeline).to_contain_text(f"Attempt failed — waiting on {WA_EVENTS}.retry")
        await expect(timeline).to_contain_text("genesys_retryable")
        await expect(timeline).to_contain_text("Waits until")
        await expect(timeline).to_contain_text("Delivered to Genesys")
        await expect(timeline).to_contain_text(f"{WA_EVENTS}.retry · partition")
        await expect(timeline).to_contain_text("Earlier failed attempts")
        await shoot(page, "journey-retried")

        await page.get_by_role("link", name="Connections").click()
        await expect(page.locator("main")).to_contain_text("last message carried")
        await shoot(page, "connections-live")
        assert_clean(page)
        assert outbound.tracked[0].status == "delivered"
    finally:
        await stop_gateway(gateway)
