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
from typing import Literal

from pydantic import Field

from connectors.sandbox.common import ControlModel, FailurePlan, RateLimits, RequestLog

DEFAULT_ORG = "sandbox-org"
"""The org of clients and integrations registered without one."""

IntegrationStatus = Literal["Initiated", "Completed", "Error"]


class ClientConfig(ControlModel):
    """``POST /_sandbox/clients``: an OAuth client, the lifetime of its tokens, its org and
    the permissions its role grants (``None``: every permission; a missing one is a 403)."""

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    expires_in: int = Field(default=86_400, ge=1, le=172_800)
    org_id: str = Field(default=DEFAULT_ORG, min_length=1)
    permissions: tuple[str, ...] | None = None

    def grants(self, permission: str) -> bool:
        """Whether the client's role has ``permission``."""
        return self.permissions is None or permission in self.permissions


class IntegrationConfig(ControlModel):
    """``POST /_sandbox/integrations``: an Open Messaging integration and its webhook.

    Integrations created through the API carry a name, their org and the progress of their
    asynchronous creation (``Initiated`` until ``ready_at``, then ``outcome``).
    """

    integration_id: str = Field(min_length=1)
    webhook_url: str | None = None
    # Genesys requires more than 15 characters.
    webhook_secret: str | None = Field(default=None, min_length=16)
    name: str | None = None
    org_id: str = Field(default=DEFAULT_ORG, min_length=1)
    create_status: IntegrationStatus = "Completed"
    ready_at: float | None = None
    outcome: Literal["Completed", "Error"] = "Completed"
    webhook_headers: dict[str, str] | None = None
    date_created: str | None = None


class IntegrationCreation(ControlModel):
    """``POST /_sandbox/integration_creation``: how the next created integrations behave.

    ``outcome`` ``Initiated`` never completes (a creation Genesys never finishes).
    """

    delay_s: float = Field(default=0.2, ge=0, le=600)
    outcome: IntegrationStatus = "Completed"


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
        integrations: integrations by id (registered or created through the API).
        tokens: issued bearer tokens.
        issued: tokens issued per client id (what single-flight tests count).
        attachments: served files by id.
        received: every accepted inbound body, in order (``kind``, ``integration_id``, ``body``).
        failures: failures to inject.
        creation: how integrations created through the API complete.
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
    creation: IntegrationCreation = field(default_factory=IntegrationCreation)
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

    def integration_status(self, integration: IntegrationConfig) -> IntegrationStatus:
        """Where the integration's asynchronous creation stands now."""
        if integration.create_status != "Initiated" or integration.ready_at is None:
            return integration.create_status
        return integration.outcome if self.clock() >= integration.ready_at else "Initiated"

    def token_owner(self, token: str) -> ClientConfig | None:
        """The OAuth client of a live token."""
        client_id = self.token_client(token)
        return self.clients.get(client_id) if client_id is not None else None

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
