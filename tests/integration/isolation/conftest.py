"""The suite's isolation from the developer's pipeline: the acceptance harness (tenants,
simulators, worker processes) on the tenancy fixtures (throwaway database, unique keys)."""

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
