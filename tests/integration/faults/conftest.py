"""Fault tests reuse the tenancy fixtures (throwaway database, unique keys and paths)."""

from tests.integration.tenancy.conftest import (  # noqa: F401  (fixtures, registered by import)
    client,
    pool,
    redis,
    tenancy,
    tenancy_settings,
    vault,
)
