"""What a tenant's Meta token can see and set: its business number, its WABA, the webhook
subscription.

Onboarding and the doctor use these reads and writes; sends live in
:class:`~connectors.meta.client.MetaClient`. Every call goes through
:class:`~connectors.meta.graph.GraphApi`, so failures are Meta's classified errors (190 →
:class:`~connectors.meta.errors.MetaCredentialsError`, and so on).
"""

from __future__ import annotations

from connectors.http import HttpTransport
from connectors.meta.errors import MetaPermanentError
from connectors.meta.graph import GraphApi, MetaAuth
from connectors.settings import MetaClientSettings
from schemas.meta.business import (
    PHONE_NUMBER_FIELDS,
    DebugToken,
    DebugTokenData,
    PhoneNumberInfo,
    SubscribedApps,
    SubscriptionRequest,
    WabaPhoneNumbers,
)
from schemas.meta.send import SuccessResponse

MANAGEMENT_SCOPE = "whatsapp_business_management"
"""The permission that lets a token manage a WABA (numbers, subscriptions)."""


class MetaBusiness:
    """Business-account reads and webhook subscriptions, for any tenant's token."""

    def __init__(self, transport: HttpTransport, settings: MetaClientSettings) -> None:
        self._graph = GraphApi(transport, settings)

    async def phone_number(self, auth: MetaAuth) -> PhoneNumberInfo:
        """The business number: display number, verified name, quality, throughput, status."""
        response = await self._graph.call(
            auth,
            "GET",
            self._graph.url(auth.phone_number_id),
            operation="phone_number",
            idempotent=True,
            params={"fields": PHONE_NUMBER_FIELDS},
        )
        return PhoneNumberInfo.model_validate_json(response.body)

    async def token(self, auth: MetaAuth) -> DebugTokenData:
        """What Meta says of the token: valid or not, its app, and (in ``granular_scopes``,
        :meth:`DebugTokenData.targets`) the WABAs it may manage, newest first."""
        response = await self._graph.call(
            auth,
            "GET",
            self._graph.url("debug_token"),
            operation="debug_token",
            idempotent=True,
            params={"input_token": auth.access_token},
        )
        return DebugToken.model_validate_json(response.body).data

    async def waba_numbers(self, auth: MetaAuth, waba_id: str) -> list[PhoneNumberInfo]:
        """The business numbers of a WABA."""
        response = await self._graph.call(
            auth,
            "GET",
            self._graph.url(waba_id, "phone_numbers"),
            operation="waba_phone_numbers",
            idempotent=True,
        )
        return WabaPhoneNumbers.model_validate_json(response.body).data

    async def subscriptions(self, auth: MetaAuth, waba_id: str) -> SubscribedApps:
        """The apps subscribed to the WABA's webhooks, with their callback overrides."""
        response = await self._graph.call(
            auth,
            "GET",
            self._graph.url(waba_id, "subscribed_apps"),
            operation="subscribed_apps",
            idempotent=True,
        )
        return SubscribedApps.model_validate_json(response.body)

    async def subscribe(self, auth: MetaAuth, waba_id: str, body: SubscriptionRequest) -> None:
        """Subscribe the token's app to the WABA, sending its webhooks to the override URL.

        Meta checks the callback (a verification request carrying the verify token) before
        it answers; repeating the call sets the same override again.
        """
        response = await self._graph.call(
            auth,
            "POST",
            self._graph.url(waba_id, "subscribed_apps"),
            operation="subscribe_app",
            idempotent=True,
            json_body=body.model_dump(mode="json"),
        )
        _expect_success(response.body, "subscribe_app", auth)

    async def unsubscribe(self, auth: MetaAuth, waba_id: str) -> None:
        """Unsubscribe the token's app from the WABA's webhooks (the override goes with it)."""
        response = await self._graph.call(
            auth,
            "DELETE",
            self._graph.url(waba_id, "subscribed_apps"),
            operation="unsubscribe_app",
            idempotent=True,
        )
        _expect_success(response.body, "unsubscribe_app", auth)


def _expect_success(body: bytes, operation: str, auth: MetaAuth) -> None:
    answer = SuccessResponse.model_validate_json(body)
    if not answer.success:
        raise MetaPermanentError(
            f"Meta {operation}: answered success=false",
            reason="Meta did not apply the call",
            tenant_id=auth.tenant_id,
        )
