"""The media tests reuse the tenancy fixtures (a throwaway database, unique keys and paths)
and the worker's simulators, and add a real S3-compatible server for the S3 backend."""

from tests.integration.media.s3_server import (  # noqa: F401  (fixtures, registered by import)
    s3_platform,
    s3_server,
    s3_store,
)
from tests.integration.tenancy.conftest import (  # noqa: F401  (fixtures, registered by import)
    admin,
    client,
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
    worker_tenant,
)
