"""Errors the worker raises itself, below :class:`~pipeline.errors.PipelineError`.

Vendor failures are classified in ``connectors`` and tenancy refusals in ``tenancy``; these
are the worker's own outcomes. ``retriable`` decides between the retry topic and the DLQ,
like everywhere else in wagen's hierarchy.
"""

from __future__ import annotations

from pipeline.errors import PipelineError


class WorkerError(PipelineError):
    """Category root of the worker's own errors."""

    code = "worker_error"


class SendInDoubtError(WorkerError):
    """A Genesys call got no answer: Genesys may have accepted the message, or not.

    Retried after ``retry_after``, when the forwarder asks Genesys before sending again
    (:mod:`pipeline.worker.reconcile`), so an accepted message is not shown twice.

    Attributes:
        retry_after: seconds to let Genesys settle before the lookup.
    """

    code = "genesys_send_in_doubt"
    retriable = True

    def __init__(self, message: str, *, retry_after: float, tenant_id: str | None = None) -> None:
        super().__init__(message, tenant_id=tenant_id)
        self.retry_after = retry_after


class BadEventError(WorkerError):
    """A ``wa.events`` record that is not a valid wagen event (or has no tenant)."""

    code = "bad_event"


class CredentialsMissingError(WorkerError):
    """The tenant has no credentials for the vendor this event goes to: held until it has."""

    code = "credentials_missing"


class GenesysSetupError(WorkerError):
    """The tenant's Genesys credentials name a region wagen does not know."""

    code = "genesys_region_unknown"
