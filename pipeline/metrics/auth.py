"""The failed-authentication throttle's events as Prometheus series (``tenancy`` reports,
this module counts), labelled by route scope only: the caller is unverified, so neither its
address nor the tenant it claims may become a label."""

from __future__ import annotations

from typing import Final

from pipeline.metrics import registry as m
from pipeline.metrics.labels import bounded
from tenancy.auth_throttle import AuthObserver, Scope

_SCOPES: Final = frozenset({"admin", "tenant", "webhook"})


class AuthMetrics:
    """Counts refused credentials and throttled requests."""

    def auth_failed(self, scope: Scope) -> None:
        """A credential or signature was refused."""
        m.AUTH_FAILURES.labels(bounded(scope, _SCOPES)).inc()

    def auth_throttled(self, scope: Scope) -> None:
        """A request was answered 429 by the throttle."""
        m.AUTH_THROTTLED.labels(bounded(scope, _SCOPES)).inc()


AUTH_METRICS: Final[AuthObserver] = AuthMetrics()
"""The one observer of a process."""
