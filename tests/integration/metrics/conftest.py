"""Metrics on the real stack: the acceptance harness (tenants, simulators, worker processes)."""

from tests.integration.acceptance.stack import (  # noqa: F401  (fixtures, registered by import)
    genesys,
    meta,
    tenants,
    workers,
)
from tests.integration.tenancy.conftest import (  # noqa: F401  (fixtures, registered by import)
    gateway_port,
    pool,
    redis,
    tenancy,
    tenancy_settings,
    vault,
    vendor_sims,
)
