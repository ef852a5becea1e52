"""The Genesys simulator's memory: OAuth clients and their tokens, integrations, attachments,
and the message conversations the inbound messages opened.

Everything a test can set lives here, behind :mod:`connectors.sandbox.genesys_control`;
the API handlers of :mod:`connectors.sandbox.genesys_api` only read and append.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import Field

from connectors.sandbox.common import ControlModel, FailurePlan, RateLimits, RequestLog


class ClientConfig(ControlModel):
    """``POST /_sandbox/clients``: an OAuth client and the lifetime of its tokens."""

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    expires_in: int = Field(default=86_400, ge=1, le=172_800)


class IntegrationConfig(ControlModel):
    """``POST /_sandbox/integrations``: an Open Messaging integration and its webhook."""

    integration_id: str = Field(min_length=1)
    webhook_url: str | None = None
    # Genesys requires more than 15 characters.
    webhook_secret: str | None = Field(default=None, min_length=16)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token the simulator issued."""

    client_id: str
    expires_at: float


@dataclass
class StoredAttachment:
    """A file the simulated Genesys serves (an agent's attachment)."""

    data: bytes = field(repr=False)
    mime_type: str
    filename: str


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """An inbound message as Genesys keeps it (``MessageData``'s fields we serve)."""

    id: str
    conversation_id: str
    provider_message_id: str | None
    from_address: str
    text: str | None
    timestamp: str


class QueueConfig(ControlModel):
    """``POST /_sandbox/queues``: a queue callbacks may be routed to."""

    queue_id: str = Field(min_length=1)
    name: str = "WhatsApp callbacks"


@dataclass(frozen=True, slots=True)
class StoredCallback:
    """A callback the simulated Genesys accepted (``POST /api/v2/conversations/callbacks``)."""

    conversation_id: str
    callback_id: str
    client_id: str
    queue_id: str
    numbers: list[str]
    user_name: str | None
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class MessageConversation:
    """One customer's open conversation on one integration, and its messages in order."""

    id: str
    integration_id: str
    customer: str
    messages: list[StoredMessage] = field(default_factory=list)


@dataclass
class GenesysSandbox:
    """The whole state of one Genesys simulator.

    Attributes:
        clients: OAuth clients by id.
        integrations: integrations by id.
        tokens: issued bearer tokens.
        issued: tokens issued per client id (what single-flight tests count).
        attachments: served files by id.
        received: every accepted inbound body, in order (``kind``, ``integration_id``, ``body``).
        failures: failures to inject.
        rate_limits: request rates per integration id (429 above).
        requests: every request answered.
        conversations: open message conversations by id.
        queues: queues callbacks may be routed to, by id.
        callbacks: every callback accepted, in order.
        clock: wall-clock seconds (tests may replace it).
    """

    clients: dict[str, ClientConfig] = field(default_factory=dict)
    integrations: dict[str, IntegrationConfig] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    issued: Counter[str] = field(default_factory=Counter)
    attachments: dict[str, StoredAttachment] = field(default_factory=dict)
    received: list[dict[str, object]] = field(default_factory=list)
    failures: FailurePlan = field(default_factory=FailurePlan)
    rate_limits: RateLimits = field(default_factory=RateLimits)
    requests: RequestLog = field(default_factory=RequestLog)
    conversations: dict[str, MessageConversation] = field(default_factory=dict)
    queues: dict[str, QueueConfig] = field(default_factory=dict)
    callbacks: list[StoredCallback] = field(default_factory=list)
    clock: Callable[[], float] = time.time
    _open: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def conversation_of(self, integration_id: str, customer: str) -> MessageConversation:
        """The customer's open conversation on the integration, opened by its first message."""
        key = (integration_id, customer)
        ident = self._open.get(key)
        if ident is None:
            ident = str(uuid.uuid4())
            self._open[key] = ident
            self.conversations[ident] = MessageConversation(ident, integration_id, customer)
        return self.conversations[ident]

    def authenticate(self, client_id: str, client_secret: str) -> ClientConfig | None:
        """The client, when the secret is its own."""
        client = self.clients.get(client_id)
        if client is None or not hmac.compare_digest(client.client_secret, client_secret):
            return None
        return client

    def issue(self, client: ClientConfig) -> str:
        """A new bearer token for ``client``."""
        token = secrets.token_urlsafe(32)
        self.tokens[token] = IssuedToken(client.client_id, self.clock() + client.expires_in)
        self.issued[client.client_id] += 1
        return token

    def token_client(self, token: str) -> str | None:
        """The client id of a live token, or ``None`` (unknown or expired)."""
        issued = self.tokens.get(token)
        if issued is None or issued.expires_at <= self.clock():
            return None
        return issued.client_id

    def expire_tokens(self, client_id: str | None) -> int:
        """Expire every token (of one client, or of all); how many."""
        now = self.clock()
        hit = [t for t, i in self.tokens.items() if client_id in (None, i.client_id)]
        for token in hit:
            self.tokens[token] = IssuedToken(self.tokens[token].client_id, now)
        return len(hit)
