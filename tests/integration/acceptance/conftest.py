"""Acceptance tests of issue 6: the tenancy fixtures, a producer, and the acceptance harness."""

from tests.integration.acceptance.stack import (  # noqa: F401  (fixtures, registered by import)
    genesys,
    meta,
    tenants,
    workers,
)
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
