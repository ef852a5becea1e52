"""The console on the real stack: the tenancy fixtures and the console harness."""

from tests.integration.acceptance.stack import (  # noqa: F401  (fixtures, registered by import)
    genesys,
    meta,
    tenants,
    workers,
)
from tests.integration.console.browser import (  # noqa: F401  (fixtures, registered by import)
    browser,
    gateway,
)
from tests.integration.console.harness import (  # noqa: F401  (fixtures, registered by import)
    app_client,
    console,
    other_console,
)
from tests.integration.tenancy.conftest import (  # noqa: F401  (fixtures, registered by import)
    admin,
    gateway_port,
    pool,
    redis,
    tenancy,
    tenancy_settings,
    vault,
    vendor_sims,
)
