"""Factories for isolated resources on the real stack: each test gets its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from pipeline.kafka.topics import ensure_declared_topics
from pipeline.settings import WagenSettings
from tenancy.db.migrate import migrate
from tests.integration.scratch import drop_database
from tests.integration.wagen_process import start_group_at_end


def _with_database(dsn: str, database: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{database}"))


@pytest.fixture(scope="session", autouse=True)
def _wagen_topics(request: pytest.FixtureRequest, settings: WagenSettings) -> None:
    """wagen's topics exist on the broker, as `make run` and the worker create them."""
    # Runs after the reachability check, so a missing stack fails (or skips) with the hint.
    request.getfixturevalue("_stack_reachable")
    asyncio.run(ensure_declared_topics(settings.kafka))
    # The first consumer group on a fresh broker waits for __consumer_offsets: do it once here.
    asyncio.run(start_group_at_end(settings.kafka.servers, "wagen-tests-warm-up"))


@pytest.fixture
async def empty_database(settings: WagenSettings) -> AsyncIterator[str]:
    """DSN of a brand-new database, dropped after the test."""
    admin_dsn = settings.postgres.dsn.get_secret_value()
    name = f"wagen_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield _with_database(admin_dsn, name)
    finally:
        try:
            await drop_database(admin, name)
        finally:
            await admin.close()


@pytest.fixture
async def migrated_database(empty_database: str) -> str:
    """DSN of a throwaway database with every migration applied."""
    conn = await asyncpg.connect(empty_database)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return empty_database


@pytest.fixture
def unique_name() -> str:
    """A name no other test (or earlier run) uses: for topics, groups, keys, paths."""
    return f"test-{uuid.uuid4().hex[:12]}"
