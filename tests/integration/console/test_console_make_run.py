"""``make run`` (``wagen run`` in sandbox mode) prints the console's address and a key the demo
tenant signs in with, in Chromium; the next run's key replaces it."""

from __future__ import annotations

import asyncio
import re
import signal

from aiokafka.admin import AIOKafkaAdminClient
from playwright.async_api import Browser, expect

from pipeline.settings import WagenSettings
from tests.conftest import free_port
from tests.integration.console.browser import new_page, sign_in
from tests.integration.wagen_process import (
    WagenProcess,
    start_group_at_end,
    wagen,
    wait_until_stable,
)

_KEY = re.compile(r"tenant 'demo' signs in with the API key (wk_\S+)")


async def _printed(run: WagenProcess, pattern: re.Pattern[str]) -> re.Match[str]:
    async with asyncio.timeout(90):
        while True:
            found = pattern.search(run.output_so_far())
            if found is not None:
                return found
            if run.poll() is not None:
                raise AssertionError(run.communicate()[0][-3000:])
            await asyncio.sleep(0.2)


async def test_make_run_prints_the_console_and_the_demo_tenant_signs_in(
    browser: Browser, settings: WagenSettings, migrated_database: str, unique_name: str
) -> None:
    port = free_port()
    env = {
        "WAGEN_SANDBOX": "1",
        "WAGEN_GATEWAY_PORT": str(port),
        "WAGEN_SIMULATORS_META_PORT": str(free_port()),
        "WAGEN_SIMULATORS_GENESYS_PORT": str(free_port()),
        "WAGEN_POSTGRES_DSN": migrated_database,
        "WAGEN_VAULT_TENANT_PREFIX": f"wagen-test/{unique_name}",
        "WAGEN_TENANCY_REDIS_PREFIX": f"{unique_name}:",
        "WAGEN_WORKER_APP_ID": unique_name,
        "WAGEN_WORKER_NEW_GROUP_OFFSET": "latest",
    }
    await start_group_at_end(settings.kafka.servers, unique_name)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    keys = []
    try:
        for _ in range(2):
            run = wagen("run", env=env)
            try:
                await _printed(
                    run, re.compile(rf"Web console: http://127\.0\.0\.1:{port}/console/")
                )
                keys.append((await _printed(run, _KEY))[1])
                await wait_until_stable(admin, unique_name, run)
                page = await new_page(browser)
                if len(keys) == 2:  # the second run's key replaced the first one's
                    await sign_in(page, f"http://127.0.0.1:{port}", keys[0])
                    await expect(page.get_by_role("alert")).to_contain_text("revoked")
                await sign_in(page, f"http://127.0.0.1:{port}", keys[-1])
                await expect(page.get_by_role("heading", name="Connections")).to_be_visible()
                await expect(page.get_by_role("navigation", name="Tenant demo")).to_contain_text(
                    "Sandbox demo"
                )
                await page.context.close()
            finally:
                run.send_signal(signal.SIGINT)
                output, _ = await asyncio.to_thread(run.communicate, timeout=60)
            assert run.returncode == 0, output[-3000:]
        assert keys[0] != keys[1]
    finally:
        # The worker's Faust app made its own topics, named after its group.
        ours = [t for t in await admin.list_topics() if t.startswith(unique_name)]
        if ours:
            await admin.delete_topics(ours)
        await admin.close()
