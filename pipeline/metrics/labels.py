"""Label values with a bounded number of distinct values: Prometheus keeps one series per
combination of label values, so a label fed from the outside world (a path segment, an error
message, a message id) would grow the process's memory without limit.

Rules every recording site follows through these helpers:

* **tenant** comes only from a tenant wagen has verified (the gateway's tenant lookup, the
  ``tenant_id`` header the gateway wrote), never from an unchecked path segment; with
  ``WAGEN_METRICS_TENANT_LABEL=false`` every tenant value becomes ``_all`` (the label stays,
  so dashboards and alerts keep working with either setting).
* **reasons, outcomes, status codes** come from closed sets; anything else is ``other``.
* message ids, phone numbers and free text are never label values.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final

from schemas.errors import WagenError

OTHER: Final = "other"
"""Any value outside a label's closed set."""

ALL_TENANTS: Final = "_all"
"""The tenant value of every series while the tenant label is switched off."""

UNKNOWN_TENANT: Final = "_unknown"
"""A request whose tenant was not (or not yet) verified: an unknown path, a store down."""

NO_TENANT: Final = "_none"
"""A record that names no tenant (a malformed record, a shared-app request)."""

_TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")  # tenancy.models.TENANT_ID_PATTERN

STATUS_CODES: Final = frozenset(
    {200, 201, 202, 204, 400, 401, 403, 404, 409, 410, 413, 422, 429, 500, 502, 503, 504}
)
"""HTTP statuses kept as they are; others become ``2xx``..``5xx`` (or ``other``)."""

CALL_FAILURES: Final = frozenset({"timeout", "connect_error", "transport_error"})
"""How an outbound call can fail before any status arrives."""

EXTRA_REASONS: Final = frozenset({"retries_exhausted", "bad_record"})
"""Failure reasons that are not the ``code`` of an error class."""


class TenantLabel:
    """Turns a verified tenant id into the ``tenant`` label value.

    One per process (the registry is per process too); the entry point switches it with
    :func:`pipeline.metrics.configure` before any request or record is handled.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def __call__(self, tenant_id: str | None) -> str:
        """The label value: the id, ``_all`` when switched off, ``_none``/``other`` when odd."""
        if not self.enabled:
            return ALL_TENANTS
        if not tenant_id:
            return NO_TENANT
        # Ids are validated when a tenant is created; a header that is not one is foreign.
        return tenant_id if _TENANT_ID.match(tenant_id) else OTHER

    def marker(self, value: str) -> str:
        """A fixed stand-in such as ``_unknown`` (``_all`` when switched off, like the rest)."""
        return value if self.enabled else ALL_TENANTS


def bounded(value: str, allowed: Collection[str]) -> str:
    """``value`` if it is in ``allowed``, else ``other``."""
    return value if value in allowed else OTHER


def status_label(status: int | str) -> str:
    """An HTTP status (or a failure before one) as a label value from a closed set."""
    if isinstance(status, str):
        return bounded(status, CALL_FAILURES)
    if status in STATUS_CODES:
        return str(status)
    if 100 <= status < 600:
        return f"{status // 100}xx"
    return OTHER


def _error_codes() -> frozenset[str]:
    codes: set[str] = set()
    pending: list[type[WagenError]] = [WagenError]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    return frozenset(codes)


_known_codes: set[str] = set()


def error_reason(code: str) -> str:
    """A failure code as a label: the ``code`` of one of wagen's error classes, else ``other``.

    The set is every ``code`` declared by a subclass of ``WagenError`` (a closed set fixed
    by the code base), re-read when a code is not found, since error classes register as
    their modules are imported. Exception class names (an unclassified failure) are
    ``other``.
    """
    if code in _known_codes or code in EXTRA_REASONS:
        return code
    _known_codes.update(_error_codes())
    return code if code in _known_codes else OTHER
