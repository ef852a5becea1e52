"""Meta's error objects: in webhooks (value, message, status level) and in Graph API responses.

These are *payload* models, not exceptions: ``connectors`` turns them into classified errors.
Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
and the "Errors" section of the webhooks reference.
"""

from __future__ import annotations

from pydantic import Field

from schemas.meta._base import WebhookModel


class ErrorData(WebhookModel):
    """``error_data``: the human-readable detail Meta recommends showing (``details``)."""

    details: str | None = None
    messaging_product: str | None = None


class ErrorObject(WebhookModel):
    """An error object as found in webhooks (Meta's spec calls it ``ErrorObject``).

    It appears in ``value.errors`` (platform problem), ``messages[].errors`` (unsupported
    message) and ``statuses[].errors`` (``failed`` status). Branch on ``code``; ``title``
    and ``message`` are usually equal.
    Docs: webhooks reference, "errors" object.
    """

    code: int
    title: str | None = None
    message: str | None = None
    error_data: ErrorData | None = None
    href: str | None = None


class GraphError(WebhookModel):
    """The ``error`` object of a non-2xx Graph API response.

    ``error_subcode`` is deprecated for WhatsApp but still sent; ``fbtrace_id`` is what Meta
    support asks for. ``error_data`` is an object for WhatsApp calls, but older Graph
    endpoints send it as a JSON string, so both are accepted.
    Docs: https://developers.facebook.com/docs/graph-api/guides/error-handling
    """

    message: str
    type: str | None = None
    code: int
    error_subcode: int | None = None
    error_data: ErrorData | str | None = None
    error_user_title: str | None = None
    error_user_msg: str | None = None
    is_transient: bool | None = None
    fbtrace_id: str | None = None


class GraphErrorResponse(WebhookModel):
    """A Graph API error body: ``{"error": {message, type, code, error_subcode, ...}}``."""

    error: GraphError = Field(description="The error; branch on ``error.code``.")
