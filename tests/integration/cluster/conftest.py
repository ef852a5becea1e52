"""Broker faults on a real three-broker cluster: the session starts one of its own (its own
directory and ports, beside the dev stack, whose PostgreSQL, Redis and OpenBao the tests
still use) and stops it at the end; each test gets its tenants, worker and gateway."""

from tests.integration.acceptance.stack import (  # noqa: F401  (fixtures, registered by import)
    genesys,
    meta,
    tenants,
)
from tests.integration.cluster.fixtures import (  # noqa: F401  (fixtures, registered by import)
    cluster,
    cluster_settings,
    healthy_cluster,
    http,
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
