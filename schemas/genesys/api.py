"""Genesys Cloud API bodies that are not Open Messaging: the OAuth token and error bodies.

Docs: https://developer.genesys.cloud/authorization/platform-auth/use-client-credentials and
reference ``genesys-open-messaging.md`` sections 1 and 6.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from schemas.genesys._base import GenesysWebhookModel


class TokenResponse(GenesysWebhookModel):
    """``POST /oauth/token`` (client credentials) answer.

    Only ``access_token`` is confirmed by a Genesys page; ``expires_in`` is standard OAuth
    and read by community code, so a missing one falls back to Genesys's documented
    default lifetime (86 400 s).
    """

    access_token: str = Field(min_length=1, repr=False)
    token_type: str | None = None
    expires_in: int = Field(default=86_400, ge=1)


class OAuthErrorBody(GenesysWebhookModel):
    """An OAuth error from the login host: ``{"error": "invalid_client", ...}``."""

    error: str
    description: str | None = None
    error_description: str | None = None


class RateLimit(GenesysWebhookModel):
    """``limit`` of a 429 body: which limit was hit."""

    key: str | None = None
    namespace: str | None = None
    value: int | None = None


class ErrorBody(GenesysWebhookModel):
    """Every Genesys API error: ``{message, code, status, contextId, details, errors}``."""

    message: str
    code: str
    status: int
    context_id: str | None = Field(default=None, alias="contextId")
    details: list[Any] = Field(default_factory=list)
    errors: list[Any] = Field(default_factory=list)
    limit: RateLimit | None = None


class MessageDetails(GenesysWebhookModel):
    """One message of a participant in ``GET /api/v2/conversations/messages/{id}``."""

    message_id: str = Field(alias="messageId")


class MessageParticipant(GenesysWebhookModel):
    """A participant of a message conversation, with the ids of its messages."""

    purpose: str | None = None
    messages: list[MessageDetails] = Field(default_factory=list)


class MessageConversation(GenesysWebhookModel):
    """``GET /api/v2/conversations/messages/{conversationId}``: only what reconciling reads."""

    id: str
    participants: list[MessageParticipant] = Field(default_factory=list)


class MessageData(GenesysWebhookModel):
    """One entity of ``POST .../messages/bulk``.

    ``providerMessageId`` is "the unique identifier of the message from provider" in the
    Platform API's ``MessageData``; that Genesys fills it from an Open Messaging
    ``channel.messageId`` is our assumption (not confirmed in the reference).
    """

    id: str
    provider_message_id: str | None = Field(default=None, alias="providerMessageId")


class MessageDataListing(GenesysWebhookModel):
    """``POST /api/v2/conversations/messages/{conversationId}/messages/bulk`` answer."""

    entities: list[MessageData] = Field(default_factory=list)
