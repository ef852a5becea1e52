"""Genesys Cloud callbacks: ``POST /api/v2/conversations/callbacks`` and its answer.

A callback is a Genesys conversation routed to a queue whose agent calls a number back.
wagen creates one, where the tenant enables it, for a customer who tried to call on WhatsApp
(Open Messaging carries no voice). Only the fields wagen sets are modelled; names are the
SDK's ``CreateCallbackCommand`` / ``CreateCallbackResponse`` (``callbackIdentifiers[].type``
is one of ACD, EXTERNAL, DIALER).
Docs: MyPureCloud/platform-client-sdk-python ``build/docs/CreateCallbackCommand.md``,
``CreateCallbackResponse.md``, ``ConversationsApi.md#post_conversations_callbacks``
(permission ``conversation:callback:create``).
"""

from __future__ import annotations

from pydantic import Field

from schemas.genesys._base import GenesysBody, GenesysTime, GenesysWebhookModel


class CreateCallbackCommand(GenesysBody):
    """The body: call ``callbackNumbers`` back through queue ``queueId``.

    Genesys takes either ``queueId`` or ``routingData``; wagen always names the tenant's
    queue. ``data`` becomes attributes of the callback participant (flat strings).
    """

    queue_id: str = Field(min_length=1, alias="queueId")
    callback_numbers: list[str] = Field(min_length=1, alias="callbackNumbers")
    callback_user_name: str | None = Field(default=None, alias="callbackUserName")
    callback_scheduled_time: GenesysTime | None = Field(default=None, alias="callbackScheduledTime")
    validate_callback_numbers: bool | None = Field(default=None, alias="validateCallbackNumbers")
    data: dict[str, str] | None = None


class DomainEntityRef(GenesysWebhookModel):
    """A reference to a Genesys entity (here: the callback's conversation)."""

    id: str | None = None
    name: str | None = None


class CallbackIdentifier(GenesysWebhookModel):
    """One callback participant: ``type`` ACD, EXTERNAL or DIALER, and its ``id``."""

    type: str
    id: str


class CreateCallbackResponse(GenesysWebhookModel):
    """The answer: the conversation the callback lives in."""

    conversation: DomainEntityRef
    callback_identifiers: list[CallbackIdentifier] = Field(
        default_factory=list, alias="callbackIdentifiers"
    )
