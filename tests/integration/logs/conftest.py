"""The log acceptance test: the acceptance harness (simulators, tenants, worker processes)."""

from tests.integration.acceptance.stack import (  # noqa: F401  (fixtures, registered by import)
    genesys,
    meta,
    workers,
)
from tests.integration.logs.harness import gateway  # noqa: F401  (fixture, registered by import)
from tests.integration.tenancy.conftest import (  # noqa: F401  (fixtures, registered by import)
    gateway_port,
    pool,
    redis,
    tenancy,
    tenancy_settings,
    vault,
    vendor_sims,
)
