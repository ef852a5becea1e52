"""Hooks through which the connectors report their calls, for whoever keeps metrics.

``connectors`` must not import ``pipeline`` (imports flow one way), and it should not decide
how a process exports numbers either. So the transport and the token cache take an
:class:`ConnectorObserver` at construction and tell it what happened, in plain values;
``pipeline.metrics`` implements it with Prometheus series. The default observes nothing.
"""

from __future__ import annotations

from typing import Final, Literal, Protocol

CallStatus = int | Literal["timeout", "connect_error", "transport_error"]
"""An HTTP status, or how a call failed before one arrived."""

TokenOutcome = Literal["ok", "refused", "failed"]
"""A token fetch: a token came back, the client credentials were refused, or it failed."""


class ConnectorObserver(Protocol):
    """What the connectors report; every method must be cheap and must never raise."""

    def http_call(
        self,
        vendor: str,
        operation: str,
        status: CallStatus,
        elapsed_s: float,
        tenant_id: str | None,
    ) -> None:
        """One outbound HTTP request finished (each retry is a request of its own)."""

    def token_fetch(self, outcome: TokenOutcome, tenant_id: str) -> None:
        """One Genesys OAuth token fetch finished (its retries included)."""


class NullObserver:
    """Observes nothing: the default, for tools and tests that keep no metrics."""

    def http_call(
        self,
        vendor: str,
        operation: str,
        status: CallStatus,
        elapsed_s: float,
        tenant_id: str | None,
    ) -> None:
        """Ignore the call."""

    def token_fetch(self, outcome: TokenOutcome, tenant_id: str) -> None:
        """Ignore the fetch."""


NULL_OBSERVER: Final[ConnectorObserver] = NullObserver()
