"""The Meta simulator's memory: business numbers and their tokens, windows, media, sends.

Everything a test can set lives here, behind the control endpoints of
:mod:`connectors.sandbox.meta_control`; the Graph handlers of
:mod:`connectors.sandbox.meta_graph` only read and append.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from connectors.sandbox.common import ControlModel, FailurePlan, RequestLog

WINDOW_S = 24 * 3600
"""The customer service window: 24 hours from the customer's last message."""

MEDIA_URL_TTL_S = 300
"""How long a media download URL works (Meta: 5 minutes)."""

RECIPIENT_SINCE = (25, 0)
"""The first Graph version whose send API takes a BSUID as ``recipient`` (v23 and v24 have
``to`` only: Meta's v23 spec; pywa 4 sends ``recipient`` on v25)."""


DEFAULT_APP_ID = "1234567890123456"
"""The Meta app of numbers registered without one."""


class NumberConfig(ControlModel):
    """``POST /_sandbox/numbers``: a business number, the token allowed to use it, and where
    its webhooks go.

    ``webhook_url`` is the app's own callback (set in Meta's App Dashboard); a callback
    override set through ``POST /{waba-id}/subscribed_apps`` takes precedence, as at Meta.
    ``app_id`` is the app the token belongs to; the other fields are what
    ``GET /{phone-number-id}`` describes.
    """

    phone_number_id: str = Field(pattern=r"^[0-9]{1,30}$")
    access_token: str = Field(min_length=1)
    app_secret: str | None = Field(default=None, min_length=1)
    webhook_url: str | None = None
    display_phone_number: str = "15550001111"
    waba_id: str = "102290129340398"
    app_id: str = Field(default=DEFAULT_APP_ID, pattern=r"^[0-9]{1,30}$")
    verified_name: str = "Sandbox Business"
    quality_rating: str = "GREEN"
    throughput_level: str = "STANDARD"
    status: str = "CONNECTED"


@dataclass(frozen=True)
class Subscription:
    """An app subscribed to a WABA's webhooks, with its callback override (if any)."""

    app_id: str
    override_callback_uri: str | None = None


@dataclass
class StoredMedia:
    """An uploaded (or customer-sent) file."""

    id: str
    phone_number_id: str
    data: bytes = field(repr=False)
    mime_type: str
    filename: str | None = None

    @property
    def sha256_hex(self) -> str:
        """Hex SHA-256 (the look-up answer's spelling)."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class MetaSandbox:
    """The whole state of one Meta simulator.

    Attributes:
        numbers: registered business numbers by phone number id.
        revoked: tokens that now answer 190.
        last_inbound: (phone number id, wa_id) -> time of the customer's last message.
        media: stored files by media id.
        subscriptions: WABA id -> app id -> the app's subscription to the WABA's webhooks.
        refusing_wabas: WABAs that refuse to subscribe an app (403, code 200).
        verify_callbacks: check a callback override with a verification request first.
        sent: every accepted send, in order (``wamid``, ``phone_number_id``, ``body``).
        clock: wall-clock seconds (tests may replace it).
        window_s: the customer service window.
        url_secret: signs media download URLs.
        phones: business-scoped user id -> the customer's number (digits), for customers
            whose webhooks carried both; a send to either reaches the same person.
        groups: group id -> the business number whose group it is.
    """

    numbers: dict[str, NumberConfig] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    last_inbound: dict[tuple[str, str], float] = field(default_factory=dict)
    media: dict[str, StoredMedia] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Subscription]] = field(default_factory=dict)
    refusing_wabas: set[str] = field(default_factory=set)
    verify_callbacks: bool = True
    sent: list[dict[str, Any]] = field(default_factory=list)
    failures: FailurePlan = field(default_factory=FailurePlan)
    requests: RequestLog = field(default_factory=RequestLog)
    clock: Callable[[], float] = time.time
    window_s: float = WINDOW_S
    url_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    phones: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    def token_known(self, token: str) -> bool:
        """Whether ``token`` belongs to some number and is not revoked."""
        if token in self.revoked:
            return False
        return any(hmac.compare_digest(n.access_token, token) for n in self.numbers.values())

    def may_use(self, token: str, phone_number_id: str) -> bool:
        """Whether ``token`` is the token of ``phone_number_id``."""
        number = self.numbers.get(phone_number_id)
        return number is not None and hmac.compare_digest(number.access_token, token)

    def customer(self, addressee: str) -> str:
        """One key per person: a number's digits (a BSUID of a known number maps to it); an
        unlinked BSUID or a group id as it is."""
        if addressee in self.phones:
            return self.phones[addressee]
        number = digits(addressee)
        looks_like_phone = addressee.lstrip("+")[:1].isdigit() and len(number) >= 5
        return number if looks_like_phone else addressee

    def open_window(self, phone_number_id: str, addressee: str, *, age_s: float = 0.0) -> None:
        """Record that the customer (or group) wrote ``age_s`` seconds ago."""
        self.last_inbound[(phone_number_id, self.customer(addressee))] = self.clock() - age_s

    def carry_window(self, old: str, new: str) -> None:
        """A customer who changed number keeps their windows under the new one."""
        before, after = self.customer(old), self.customer(new)
        for (number, customer), at in list(self.last_inbound.items()):
            if customer == before:
                self.last_inbound[(number, after)] = at

    def window_open(self, phone_number_id: str, to: str) -> bool:
        """Whether a free-form message may go to ``to`` (number, BSUID or group) now."""
        last = self.last_inbound.get((phone_number_id, self.customer(to)))
        return last is not None and self.clock() - last <= self.window_s

    def media_signature(self, media_id: str, expires: int) -> str:
        """The ``hash`` of a download URL: binds the media id to its expiry."""
        message = f"{media_id}:{expires}".encode()
        return hmac.new(self.url_secret, message, hashlib.sha256).hexdigest()[:32]

    def token_numbers(self, token: str) -> list[NumberConfig]:
        """The numbers ``token`` belongs to (none for an unknown or revoked token)."""
        if token in self.revoked:
            return []
        return [n for n in self.numbers.values() if hmac.compare_digest(n.access_token, token)]

    def callback_of(self, number: NumberConfig) -> str | None:
        """Where the number's webhooks go: the WABA's override for its app, else the app's."""
        subscription = self.subscriptions.get(number.waba_id, {}).get(number.app_id)
        if subscription is not None and subscription.override_callback_uri:
            return subscription.override_callback_uri
        return number.webhook_url


def digits(number: str) -> str:
    """A phone number reduced to its digits (``+55 11 98765-4321`` -> ``5511987654321``)."""
    return "".join(ch for ch in number if ch.isdigit())
