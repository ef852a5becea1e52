"""The WhatsApp Cloud API client: sends, mark-as-read, typing, and media (``client.media``).

Create one per process on the shared :class:`~connectors.http.HttpTransport`; pass each
tenant's :class:`~connectors.meta.graph.MetaAuth` with every call. Every body is validated
with our send schemas (``SEND_BODY``) before it leaves, so a bad agent input fails here, as
a permanent error with receipt reason ``InvalidMessageStructure``, not later as Meta's
error 100. Failures are Meta's error classes (``connectors.meta.errors``), already retried
in-process when transient and safe to repeat; a send is never repeated after a timeout,
because Meta has no idempotency key for sends (reference section 5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from connectors.genesys.errors import GenesysReceiptReason
from connectors.http import HttpResponse, HttpTransport
from connectors.meta.errors import MetaPermanentError
from connectors.meta.graph import GraphApi, MetaAuth
from connectors.meta.media import MetaMedia
from connectors.settings import MetaClientSettings
from schemas.meta import SEND_BODY, MarkRead, SendMessage, SendResponse
from schemas.meta.send import SuccessResponse, TypingIndicator
from schemas.parsing import describe_validation_error


def _invalid(what: str, reason: str, auth: MetaAuth) -> MetaPermanentError:
    return MetaPermanentError(
        f"Meta {what} not sent: {reason}",
        reason=reason,
        receipt_reason=GenesysReceiptReason.INVALID_MESSAGE_STRUCTURE,
        tenant_id=auth.tenant_id,
    )


class MetaClient:
    """Sends WhatsApp messages for any tenant over one shared HTTP pool.

    Attributes:
        media: upload, look up, download and delete media.
    """

    def __init__(self, transport: HttpTransport, settings: MetaClientSettings) -> None:
        self._graph = GraphApi(transport, settings)
        self.media = MetaMedia(self._graph)

    async def send(self, auth: MetaAuth, body: SendMessage | Mapping[str, Any]) -> SendResponse:
        """Send one message (text, media, location, contacts, interactive, template, reaction).

        Args:
            auth: the tenant's token and business number.
            body: a send model, or a JSON object validated as one.

        Returns:
            Meta's acceptance, holding the ``wamid`` (``messages[0].id``); delivery is
            reported later by status webhooks.

        Raises:
            MetaPermanentError: the body fails our send schema (nothing was sent).
            MetaError: Meta refused it (e.g. :class:`MetaWindowClosedError`, 131047).
            ConnectorTransportError: no answer; ``maybe_sent`` is true after a timeout.
        """
        parsed = self._validate(auth, body)
        if isinstance(parsed, MarkRead):
            raise _invalid("send", "a mark-as-read body: use mark_read()", auth)
        response = await self._post_messages(auth, parsed, operation="send", idempotent=False)
        try:
            return SendResponse.model_validate_json(response.body)
        except ValidationError as exc:
            # Accepted (2xx) but unreadable: sent, most likely, so it must not be retried.
            raise MetaPermanentError(
                "Meta accepted the send but its answer has no message id",
                reason=describe_validation_error(exc),
                tenant_id=auth.tenant_id,
            ) from exc

    async def mark_read(self, auth: MetaAuth, message_id: str, *, typing: bool = False) -> None:
        """Mark a customer message (and the earlier ones) read; ``typing`` also shows typing.

        Neither extends the 24-hour window. Safe to repeat, so retried after a timeout.
        """
        body = MarkRead(
            messaging_product="whatsapp",
            status="read",
            message_id=message_id,
            typing_indicator=TypingIndicator(type="text") if typing else None,
        )
        operation = "typing" if typing else "mark_read"
        response = await self._post_messages(auth, body, operation=operation, idempotent=True)
        _expect_success(response, operation, auth)

    async def show_typing(self, auth: MetaAuth, message_id: str) -> None:
        """Show the typing indicator (until we reply, or 25 s) in reply to ``message_id``."""
        await self.mark_read(auth, message_id, typing=True)

    def _validate(self, auth: MetaAuth, body: BaseModel | Mapping[str, Any]) -> BaseModel:
        try:
            return SEND_BODY.validate_python(body)
        except ValidationError as exc:
            raise _invalid("message", describe_validation_error(exc), auth) from exc

    async def _post_messages(
        self, auth: MetaAuth, body: BaseModel, *, operation: str, idempotent: bool
    ) -> HttpResponse:
        return await self._graph.call(
            auth,
            "POST",
            self._graph.url(auth.phone_number_id, "messages"),
            operation=operation,
            idempotent=idempotent,
            json_body=body.model_dump(mode="json", exclude_none=True),
        )


def _expect_success(response: HttpResponse, operation: str, auth: MetaAuth) -> None:
    try:
        answer = SuccessResponse.model_validate_json(response.body)
    except ValidationError as exc:
        raise MetaPermanentError(
            f"Meta {operation}: unexpected answer",
            reason=describe_validation_error(exc),
            tenant_id=auth.tenant_id,
        ) from exc
    if not answer.success:
        raise MetaPermanentError(
            f"Meta {operation}: answered success=false",
            reason="Meta did not apply the call",
            tenant_id=auth.tenant_id,
        )
