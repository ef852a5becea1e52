"""The one error of the translators: a Genesys webhook body wagen cannot turn into a send.

A Meta webhook body that cannot be parsed raises
:class:`~connectors.meta.payload.MetaPayloadError` before any translation starts; Meta bodies
that parse always translate (odd content becomes readable text). A Genesys body can parse and
still be untranslatable (a customer id that is not a phone number), so the Genesys side has
its own error, shaped like Meta's: ``field`` names the offending JSON path.
"""

from __future__ import annotations

from pydantic import ValidationError

from connectors.errors import ConnectorError
from schemas.parsing import first_error


class GenesysPayloadError(ConnectorError):
    """A Genesys outbound webhook body cannot be parsed or cannot be sent to WhatsApp.

    Replaying the same body fails the same way: dead-letter it (and, for a parsed message,
    answer the agent with a ``Failed`` receipt), never retry it.

    Attributes:
        field: the JSON path of the offending field (``body`` for the whole body).
        reason: what is wrong with it.
    """

    code = "genesys_payload_invalid"
    retriable = False

    def __init__(self, field: str, reason: str, *, tenant_id: str | None = None) -> None:
        super().__init__(f"invalid Genesys webhook body: {field}: {reason}", tenant_id=tenant_id)
        self.field = field
        self.reason = reason

    @classmethod
    def from_validation(
        cls, exc: ValidationError, *, tenant_id: str | None = None
    ) -> GenesysPayloadError:
        """Name the first field pydantic rejected."""
        field, reason = first_error(exc)
        return cls(field, reason, tenant_id=tenant_id)
