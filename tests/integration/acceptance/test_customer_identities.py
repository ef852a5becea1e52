"""One person, one Genesys conversation, through real gateway, worker and simulators
(``wagen run`` in sandbox mode): a customer known by number and business-scoped user id
(BSUID), then by BSUID only, then after a number change; a BSUID-only customer answered by
``recipient``; a group answered through the Groups API.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from pipeline.runtime.sandbox_mode import DEMO, demo_integration_id
from pipeline.settings import WagenSettings
from tests.conftest import free_port
from tests.integration.wagen_process import start_group_at_end, wagen, wait_until_stable

pytestmark = pytest.mark.connected

PHONE, BSUID = "5511987654321", "US.13491208655302741918"
NEW_PHONE, NEW_BSUID = "5511900000000", "US.99887766554433221100"
STRANGER = "BR.55667788990011223344"
GROUP = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD"


@dataclass
class Sandbox:
    """The simulators of a running ``wagen run``, driven over their control endpoints."""

    http: aiohttp.ClientSession
    meta: str
    genesys: str
    settings: WagenSettings

    async def control(self, url: str, body: dict[str, Any] | None = None) -> Any:
        method = "POST" if body is not None else "GET"
        async with self.http.request(method, url, json=body) as response:
            assert response.status < 300, await response.text()
            return await response.json()

    async def customer_writes(self, **spec: Any) -> None:
        body = {"phone_number_id": DEMO.phone_number_id, "name": "Ana Souza", **spec}
        answer = await self.control(f"{self.meta}/_sandbox/webhooks/message", body)
        assert answer["delivery_status"] == 200, answer

    async def system_change(self, **spec: Any) -> None:
        body = {"phone_number_id": DEMO.phone_number_id, "name": "Ana Souza", **spec}
        answer = await self.control(f"{self.meta}/_sandbox/webhooks/system", body)
        assert answer["delivery_status"] == 200, answer

    async def agent_replies(self, to: str, text: str) -> None:
        integration = await demo_integration_id(self.settings, self.http)
        body = {"integration_id": integration, "to": to, "text": text}
        answer = await self.control(f"{self.genesys}/_sandbox/webhooks/outbound", body)
        assert answer["delivery_status"] == 200, answer

    async def at_genesys(self, text: str) -> dict[str, Any]:
        """The body of the customer message ``text`` once it reached Genesys."""
        async with asyncio.timeout(30):
            while True:
                received = (await self.control(f"{self.genesys}/_sandbox/received"))["received"]
                for item in received:
                    if item["kind"] == "message" and text in (item["body"].get("text") or ""):
                        body: dict[str, Any] = item["body"]
                        return body
                await asyncio.sleep(0.2)

    async def at_meta(self, text: str) -> dict[str, Any]:
        """The send body of the agent's ``text`` once Meta accepted it."""
        async with asyncio.timeout(30):
            while True:
                for item in (await self.control(f"{self.meta}/_sandbox/sent"))["sent"]:
                    if (item["body"].get("text") or {}).get("body") == text:
                        body: dict[str, Any] = item["body"]
                        return body
                await asyncio.sleep(0.2)


@pytest.fixture
async def sandbox(
    settings: WagenSettings, migrated_database: str, unique_name: str
) -> AsyncIterator[Sandbox]:
    meta_port, genesys_port = free_port(), free_port()
    env = {
        "WAGEN_SANDBOX": "1",
        "WAGEN_GATEWAY_PORT": str(free_port()),
        "WAGEN_SIMULATORS_META_PORT": str(meta_port),
        "WAGEN_SIMULATORS_GENESYS_PORT": str(genesys_port),
        "WAGEN_POSTGRES_DSN": migrated_database,
        "WAGEN_VAULT_TENANT_PREFIX": f"wagen-test/{unique_name}",
        "WAGEN_TENANCY_REDIS_PREFIX": f"{unique_name}:",
        "WAGEN_WORKER_APP_ID": unique_name,
        "WAGEN_WORKER_NEW_GROUP_OFFSET": "latest",
    }
    await start_group_at_end(settings.kafka.servers, unique_name)
    run: subprocess.Popen[str] = wagen("run", env=env)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    try:
        await wait_until_stable(admin, unique_name, run)
        async with aiohttp.ClientSession() as http:
            host = settings.simulators.host
            yield Sandbox(
                http,
                f"http://{host}:{meta_port}",
                f"http://{host}:{genesys_port}",
                settings.model_copy(
                    update={
                        "simulators": settings.simulators.model_copy(
                            update={"meta_port": meta_port, "genesys_port": genesys_port}
                        )
                    }
                ),
            )
        run.send_signal(signal.SIGINT)
        output, _ = await asyncio.to_thread(run.communicate, timeout=60)
        assert run.returncode == 0, output[-3000:]
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
        await admin.close()


async def test_one_customer_stays_one_genesys_customer_and_everyone_is_answered(
    sandbox: Sandbox,
) -> None:
    # Known by number and BSUID: a phone customer in Genesys.
    await sandbox.customer_writes(**{"from": PHONE}, user_id=BSUID, text="one: with my number")
    first = await sandbox.at_genesys("one: with my number")
    assert first["channel"]["from"]["id"] == f"+{PHONE}"
    assert first["channel"]["from"]["idType"] == "Phone"

    # The same person, now showing only the BSUID (a username adopter): the same customer.
    await sandbox.customer_writes(user_id=BSUID, username="ana.s", text="two: bsuid only")
    second = await sandbox.at_genesys("two: bsuid only")
    assert second["channel"]["from"] == first["channel"]["from"]
    await sandbox.agent_replies(f"+{PHONE}", "reply to ana")
    assert (await sandbox.at_meta("reply to ana"))["to"] == f"+{PHONE}"

    # A customer wagen knows by BSUID only: answered by recipient (Graph v25).
    await sandbox.customer_writes(user_id=STRANGER, name="Bruno", text="three: no number")
    stranger = await sandbox.at_genesys("three: no number")
    assert stranger["channel"]["from"]["id"] == STRANGER
    assert stranger["channel"]["from"]["idType"] == "Opaque"
    await sandbox.agent_replies(STRANGER, "reply to bruno")
    sent = await sandbox.at_meta("reply to bruno")
    assert (sent["recipient"], "to" in sent) == (STRANGER, False)

    # Ana changes number (and so BSUID): her conversation goes on, replies reach the new one.
    await sandbox.system_change(
        type="user_changed_number",
        **{"from": PHONE},
        user_id=BSUID,
        new_wa_id=NEW_PHONE,
        new_user_id=NEW_BSUID,
    )
    notice = await sandbox.at_genesys(f"changed from {PHONE} to {NEW_PHONE}")
    assert notice["channel"]["from"]["id"] == f"+{PHONE}"
    await sandbox.agent_replies(f"+{PHONE}", "reply after the change")
    assert (await sandbox.at_meta("reply after the change"))["to"] == f"+{NEW_PHONE}"
    await sandbox.customer_writes(
        **{"from": NEW_PHONE}, user_id=NEW_BSUID, text="four: from my new number"
    )
    fourth = await sandbox.at_genesys("four: from my new number")
    assert fourth["channel"]["from"]["id"] == f"+{PHONE}"

    # A group of the business: one Genesys conversation, answered through the Groups API.
    await sandbox.customer_writes(
        **{"from": "5511911112222"}, user_id="BR.11112222", group_id=GROUP, text="five: group"
    )
    group = await sandbox.at_genesys("five: group")
    assert group["channel"]["from"]["id"] == GROUP
    assert group["text"].startswith("[Ana Souza (+5511911112222) in the group:]")
    await sandbox.agent_replies(GROUP, "reply to the group")
    sent = await sandbox.at_meta("reply to the group")
    assert (sent["recipient_type"], sent["to"]) == ("group", GROUP)
