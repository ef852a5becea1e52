"""Reading the process registry in tests, and keeping the tenant-label switch as found.

The series are process-wide (prometheus_client's default registry), so tests compare values
before and after what they do instead of expecting absolute counts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from pipeline.metrics.record import tenant_label
from tests.unit.clients.conftest import (  # noqa: F401  (fixtures, registered by import)
    genesys_sim,
    receiver,
    session,
    transport,
)


def value(name: str, **labels: str) -> float:
    """The current value of one sample (0 when it does not exist yet)."""
    found = REGISTRY.get_sample_value(name, labels)
    return 0.0 if found is None else found


@pytest.fixture(autouse=True)
def _tenant_label_restored() -> Iterator[None]:
    """Each test may switch the tenant label; the next one finds it on again."""
    try:
        yield
    finally:
        tenant_label.enabled = True
