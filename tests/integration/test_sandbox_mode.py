"""``wagen run`` in sandbox mode: simulators, demo tenant, and a message across the bridge."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

from aiokafka.admin import AIOKafkaAdminClient

from pipeline.settings import WagenSettings
from tests.conftest import REPO_ROOT, free_port
from tests.integration.wagen_process import start_group_at_end, wagen, wait_until_stable


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


async def test_a_customer_message_reaches_the_genesys_simulator(
    settings: WagenSettings, migrated_database: str, unique_name: str
) -> None:
    env = {
        "WAGEN_SANDBOX": "1",
        "WAGEN_GATEWAY_PORT": str(free_port()),
        "WAGEN_SIMULATORS_META_PORT": str(free_port()),
        "WAGEN_SIMULATORS_GENESYS_PORT": str(free_port()),
        "WAGEN_POSTGRES_DSN": migrated_database,
        "WAGEN_VAULT_TENANT_PREFIX": f"wagen-test/{unique_name}",
        "WAGEN_TENANCY_REDIS_PREFIX": f"{unique_name}:",
        "WAGEN_WORKER_APP_ID": unique_name,
        "WAGEN_WORKER_NEW_GROUP_OFFSET": "latest",
    }
    await start_group_at_end(settings.kafka.servers, unique_name)
    run = wagen("run", env=env)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    try:
        await wait_until_stable(admin, unique_name, run)
        full_env = {**os.environ, **env}
        _cli(full_env, "sandbox", "send-customer-message", "--text", "Hello, my order is late")
        # Once it reached the agent, the agent answers, on the integration onboarding created
        # for the demo tenant.
        reached: list[dict[str, object]] = []
        async with asyncio.timeout(30):
            while not any(a["at"] == "genesys" for a in reached):
                lines = _cli(full_env, "sandbox", "inspect").splitlines()
                reached = [json.loads(line) for line in lines]
                await asyncio.sleep(0.5)
        _cli(full_env, "sandbox", "send-agent-reply", "--text", "Sorry! Checking it now.")
        replied: list[dict[str, object]] = []
        async with asyncio.timeout(30):
            while not replied:
                lines = _cli(full_env, "sandbox", "inspect").splitlines()
                replied = [a for a in map(json.loads, lines) if a["at"] == "meta"]
                if not replied:
                    await asyncio.sleep(0.5)
        reply = replied[0]["body"]
        assert isinstance(reply, dict)
        assert reply["text"]["body"] == "Sorry! Checking it now."
        # Onboarded through the same path an operator's requests take: the doctor agrees.
        doctor = _cli(full_env, "tenants", "doctor", "demo")
        assert "demo: healthy" in doctor
        arrived: list[dict[str, object]] = []
        async with asyncio.timeout(30):
            while not arrived:
                lines = _cli(full_env, "sandbox", "inspect").splitlines()
                arrived = [json.loads(line) for line in lines]
                arrived = [a for a in arrived if a["at"] == "genesys" and a["kind"] == "message"]
                if not arrived:
                    await asyncio.sleep(0.5)
        body = arrived[0]["body"]
        assert isinstance(body, dict)
        assert body["text"] == "Hello, my order is late"
        assert body["channel"]["from"]["id"] == "+15551234567"

        # The demo also drives a call and a business-app echo: both reach the agent.
        _cli(full_env, "sandbox", "send-customer-call")
        _cli(full_env, "sandbox", "send-business-echo", "--text", "Your order ships today")
        origins: set[object] = set()
        async with asyncio.timeout(30):
            while not {"call", "business_app"} <= origins:
                lines = _cli(full_env, "sandbox", "inspect").splitlines()
                shown = [json.loads(line) for line in lines]
                origins = {
                    a["body"].get("metadata", {}).get("message_origin")
                    for a in shown
                    if a["at"] == "genesys" and a["kind"] == "message"
                }
                await asyncio.sleep(0.5)

        run.send_signal(signal.SIGINT)
        output, _ = await asyncio.to_thread(run.communicate, timeout=60)
        assert run.returncode == 0, output[-3000:]
        assert 'wagen is running in sandbox mode: tenant "demo"' in output
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
        ours = [t for t in await admin.list_topics() if t.startswith(unique_name)]
        if ours:
            await admin.delete_topics(ours)
        await admin.close()
