"""The worker tests reuse the tenancy fixtures and add a worker and the two simulators."""

from tests.integration.tenancy.conftest import (  # noqa: F401  (fixtures, registered by import)
    gateway_port,
    pool,
    redis,
    tenancy,
    tenancy_settings,
    vault,
    vendor_sims,
)
from tests.integration.worker.harness import (  # noqa: F401  (fixtures, registered by import)
    genesys_sim,
    meta_sim,
    producer,
    worker,
    worker_tenant,
)
