"""The connectors' calls as Prometheus series: ``connectors`` reports, this module counts.

Passed to :class:`~connectors.http.HttpTransport` and
:class:`~connectors.genesys.token.GenesysTokenCache` where the worker builds them, so every
Meta and Genesys request is counted at one place, the transport, whichever client made it.
"""

from __future__ import annotations

from typing import Final

from connectors.metrics import CallStatus, ConnectorObserver, TokenOutcome
from pipeline.metrics import registry as m
from pipeline.metrics.labels import bounded, status_label
from pipeline.metrics.record import tenant_label

_VENDORS: Final = frozenset({"meta", "genesys"})
_OPERATIONS: Final = frozenset(
    {
        # Genesys
        "token", "inbound_message", "inbound_receipt", "inbound_event",
        "inbound_structured_response", "conversation", "messages_bulk", "attachment_download",
        # Meta
        "send", "typing", "mark_read", "media_upload", "media_info", "media_download",
        "media_delete",
    }
)  # fmt: skip
"""The operations the clients name; a new one shows up as ``other`` until listed here."""


class PrometheusObserver:
    """Counts outbound requests and token fetches on the process's registry."""

    def http_call(
        self,
        vendor: str,
        operation: str,
        status: CallStatus,
        elapsed_s: float,
        tenant_id: str | None,
    ) -> None:
        """Count the request and observe its duration."""
        vendor, operation = bounded(vendor, _VENDORS), bounded(operation, _OPERATIONS)
        tenant = tenant_label(tenant_id)
        m.OUTBOUND_REQUESTS.labels(vendor, operation, status_label(status), tenant).inc()
        m.OUTBOUND_SECONDS.labels(vendor, operation).observe(elapsed_s)

    def token_fetch(self, outcome: TokenOutcome, tenant_id: str) -> None:
        """Count the token fetch."""
        m.TOKEN_REFRESHES.labels(outcome, tenant_label(tenant_id)).inc()


CONNECTOR_OBSERVER: Final[ConnectorObserver] = PrometheusObserver()
"""The one observer of a process (the series it feeds are process-wide anyway)."""
