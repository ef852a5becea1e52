"""The worker tests reuse the tenancy fixtures and add a worker and the two simulators."""

from tests.integration.tenancy.conftest import (  # noqa: F401  (fixtures, registered by import)
    pool,
    redis,
    tenancy,
    tenancy_settings,
    vault,
)
from tests.integration.worker.harness import (  # noqa: F401  (fixtures, registered by import)
    genesys_sim,
    meta_sim,
    producer,
    worker,
    worker_tenant,
)
