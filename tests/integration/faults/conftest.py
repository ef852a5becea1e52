"""Fault tests reuse the tenancy fixtures (throwaway database, unique keys and paths) and the
acceptance harness (tenants in the simulators, real worker processes, a producer)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from pipeline.settings import WagenSettings
from tests.integration.acceptance.stack import (  # noqa: F401  (fixtures, registered by import)
    genesys,
    meta,
    tenants,
    workers,
)
from tests.integration.conftest import _with_database
from tests.integration.scratch import drop_database
from tests.integration.tenancy.conftest import (  # noqa: F401  (fixtures, registered by import)
    client,
    gateway_port,
    pool,
    redis,
    tenancy,
    tenancy_settings,
    vault,
    vendor_sims,
)
from tests.integration.worker.harness import producer  # noqa: F401  (fixture, registered by import)


@pytest.fixture
async def empty_database(settings: WagenSettings) -> AsyncIterator[str]:
    """DSN of a brand-new database, dropped after the test over a new connection: a test
    here may restart PostgreSQL, which ends every connection opened before."""
    admin_dsn = settings.postgres.dsn.get_secret_value()
    name = f"wagen_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(admin_dsn, name)
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await drop_database(admin, name)
        finally:
            await admin.close()
