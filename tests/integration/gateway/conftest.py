"""The gateway tests reuse the tenancy fixtures: a throwaway database, unique keys and paths."""

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
