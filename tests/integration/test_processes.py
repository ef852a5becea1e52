"""The real entry points as separate processes: ``wagen worker``, ``wagen db migrate``."""

from __future__ import annotations

import asyncio
import signal

from aiokafka.admin import AIOKafkaAdminClient

from pipeline.settings import WagenSettings
from tests.conftest import free_port
from tests.integration.wagen_process import (
    group_state,
    start_group_at_end,
    wagen,
    wait_until_stable,
)


async def test_worker_joins_its_consumer_group_and_leaves_cleanly(
    settings: WagenSettings, unique_name: str
) -> None:
    # Start at the end: the agents must not pick up other tests' records (their tenants live in
    # throwaway databases this worker does not see).
    await start_group_at_end(settings.kafka.servers, unique_name)
    worker = wagen("worker", env={"WAGEN_WORKER_APP_ID": unique_name})
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.servers)
    await admin.start()
    try:
        await wait_until_stable(admin, unique_name, worker)

        worker.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(worker.communicate, timeout=60)
        assert worker.returncode == 0, output
        assert "Traceback" not in output, output
        state, members = await group_state(admin, unique_name)
        # A stopped worker leaves the group at once instead of waiting for a session timeout.
        assert (state, members) == ("Empty", 0)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        ours = [t for t in await admin.list_topics() if t.startswith(unique_name)]
        if ours:
            await admin.delete_topics(ours)
        await admin.close()


def test_db_migrate_applies_once_then_reports_up_to_date(empty_database: str) -> None:
    env = {"WAGEN_POSTGRES_DSN": empty_database}
    first = wagen("db", "migrate", env=env)
    out, _ = first.communicate(timeout=60)
    assert first.returncode == 0, out
    assert "applied 0001_base" in out
    second = wagen("db", "migrate", env=env)
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 0, out
    assert "database is up to date (0 applied now)" in out


def test_db_migrate_without_a_database_says_so_in_one_line() -> None:
    dsn = f"postgresql://wagen:wagen@127.0.0.1:{free_port()}/wagen"
    proc = wagen("db", "migrate", env={"WAGEN_POSTGRES_DSN": dsn})
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith("error:")
    assert "wagen:***@" in lines[0], "the password must be masked"
    assert "deploy/local/stack up" in lines[0]


def test_bad_settings_are_a_usage_error() -> None:
    proc = wagen("db", "status", env={"WAGEN_GATEWAY_PORT": "not-a-port"})
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "WAGEN_* settings" in out
