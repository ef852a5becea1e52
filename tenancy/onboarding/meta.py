"""Meta onboarding: the access token checked against the business number, and the app
subscribed to the number's WABA with a callback override pointing at the tenant's wagen
route, so Meta sends with no step in Meta's console.

Steps (each a 422 naming what to fix, or a 503):

1. ``debug_token``: the token must be valid; its ``whatsapp_business_management`` targets
   are the WABAs it manages, its ``app_id`` the app to subscribe;
2. ``GET /{phone-number-id}``: the token must reach the number (display number, verified
   name, quality rating, throughput, status come back);
3. the WABA: the ``wabaId`` given, else the managed WABA whose numbers include this one;
4. Vault: the credentials are stored (Meta's callback check must find the verify token);
5. ``POST /{waba-id}/subscribed_apps`` with ``override_callback_uri`` and ``verify_token``
   (Meta checks the callback: the gateway answers its handshake), then ``GET`` it back: the
   app must be listed with wagen's URL.

If step 5 fails the previous Vault version is restored. Meta resolves a webhook's callback
as: the number's override, then the WABA's, then the app's (FB ``webhooks/override/``);
wagen sets the WABA's, so a number with its own override would still send elsewhere — the
doctor reports that as a subscription not pointing here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.errors import ConnectorError
from connectors.meta.business import MANAGEMENT_SCOPE
from connectors.meta.errors import MetaError
from connectors.meta.graph import MetaAuth
from schemas.meta.business import PhoneNumberInfo, SubscribedApps, SubscriptionRequest
from tenancy.credential_models import MetaCredentials, MetaCredentialsInput
from tenancy.models import CredentialMeta
from tenancy.onboarding.errors import (
    MetaAppNotSubscribedError,
    MetaCallbackUnverifiedError,
    MetaNumberUnreachableError,
    MetaTokenInvalidError,
    meta_failure,
)
from tenancy.onboarding.models import MetaConnection
from tenancy.onboarding.rotation import carried_previous
from tenancy.onboarding.vendors import Vendors, meta_auth
from tenancy.settings import OnboardingSettings

Store = Callable[[MetaCredentials], Awaitable[CredentialMeta]]
Undo = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class MetaConnected:
    """The stored version and what Meta says of the number and the subscription."""

    meta: CredentialMeta
    connection: MetaConnection


def subscribed_override(apps: SubscribedApps, app_id: str | None) -> str | None:
    """The callback override the app has on the WABA (``""`` if subscribed without one)."""
    for app in apps.data:
        data = app.whatsapp_business_api_data
        if app_id is None or (data is not None and data.id == app_id):
            return app.override_callback_uri or ""
    return None


class MetaOnboarding:
    """Connects and disconnects tenants' Meta numbers."""

    def __init__(
        self,
        vendors: Vendors,
        settings: OnboardingSettings,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._business = vendors.meta
        self._settings = settings
        self._now = now

    async def connect(
        self,
        tenant_id: str,
        given: MetaCredentialsInput,
        previous: MetaCredentials | None,
        store: Store,
        undo: Undo,
    ) -> MetaConnected:
        """Check token and number, store, subscribe (see module doc)."""
        auth = meta_auth(tenant_id, given.access_token, given.phone_number_id)
        async with _mapped("check the access token", tenant_id):
            token = await self._business.token(auth)
        if not token.is_valid:
            raise MetaTokenInvalidError(
                "Meta says the access token is not valid (expired or revoked)", tenant_id=tenant_id
            )
        info = await self._number(auth)
        waba_id = await self._waba(auth, given.waba_id, token.targets(MANAGEMENT_SCOPE))
        async with _mapped("read the WABA's webhook subscriptions", tenant_id):
            before = subscribed_override(
                await self._business.subscriptions(auth, waba_id), token.app_id
            )
        ours_before = previous is not None and previous.subscribed_by_wagen
        creds = self._stored(given, waba_id, previous, wagen=ours_before or before is None)
        meta = await store(creds)
        url = self._settings.meta_webhook_url(tenant_id)
        try:
            await self._subscribe(auth, waba_id, url, given.verify_token)
            async with _mapped("read the subscription back", tenant_id):
                after = await self._business.subscriptions(auth, waba_id)
            if subscribed_override(after, token.app_id) != url:
                raise MetaAppNotSubscribedError(
                    f"Meta accepted the subscription but the app is not subscribed to WABA "
                    f"{waba_id} with wagen's callback; check the app's WhatsApp permissions",
                    tenant_id=tenant_id,
                )
        except BaseException:
            await undo()
            raise
        return MetaConnected(meta, _connection(info, waba_id, url, creds.subscribed_by_wagen))

    async def disconnect(self, tenant_id: str, current: MetaCredentials) -> list[str]:
        """Unsubscribe the app from the WABA if wagen subscribed it; else leave it."""
        if not current.subscribed_by_wagen or current.waba_id is None:
            return [f"meta subscription of WABA {current.waba_id} kept (not made by wagen)"]
        auth = meta_auth(tenant_id, current.access_token, current.phone_number_id)
        async with _mapped("unsubscribe the app from the WABA", tenant_id):
            await self._business.unsubscribe(auth, current.waba_id)
        return [f"meta app unsubscribed from WABA {current.waba_id}"]

    async def _number(self, auth: MetaAuth) -> PhoneNumberInfo:
        tenant_id = auth.tenant_id or ""
        try:
            return await self._business.phone_number(auth)
        except MetaError as exc:
            if exc.vendor_code == 190 or exc.retriable:
                raise meta_failure(exc, "read the business number", tenant_id) from exc
            raise MetaNumberUnreachableError(
                f"the access token cannot reach phone number {auth.phone_number_id} "
                f"(Meta code {exc.vendor_code}): check phoneNumberId and the token's assets",
                tenant_id=tenant_id,
            ) from exc
        except ConnectorError as exc:
            raise meta_failure(exc, "read the business number", tenant_id) from exc

    async def _waba(self, auth: MetaAuth, given: str | None, managed: list[str]) -> str:
        """The WABA holding the number: the one given (checked), else the first that does."""
        tenant_id = auth.tenant_id or ""
        for waba_id in [given] if given else managed:
            try:
                numbers = await self._business.waba_numbers(auth, waba_id)
            except MetaError as exc:
                if exc.retriable or exc.vendor_code == 190:
                    raise meta_failure(exc, "list the WABA's numbers", tenant_id) from exc
                continue  # no access to this one: try the next
            except ConnectorError as exc:
                raise meta_failure(exc, "list the WABA's numbers", tenant_id) from exc
            if any(n.id == auth.phone_number_id for n in numbers):
                return waba_id
        where = f"WABA {given}" if given else "no WABA the token manages"
        raise MetaNumberUnreachableError(
            f"phone number {auth.phone_number_id} is not in {where}: check phoneNumberId, "
            "wabaId and the token's whatsapp_business_management permission",
            tenant_id=tenant_id,
        )

    async def _subscribe(self, auth: MetaAuth, waba_id: str, url: str, verify_token: str) -> None:
        tenant_id = auth.tenant_id or ""
        body = SubscriptionRequest(override_callback_uri=url, verify_token=verify_token)
        try:
            await self._business.subscribe(auth, waba_id, body)
        except MetaError as exc:
            if exc.retriable or exc.vendor_code == 190:
                raise meta_failure(exc, "subscribe the app", tenant_id) from exc
            if exc.http_status == 422 or exc.vendor_code == 100:
                raise MetaCallbackUnverifiedError(
                    f"Meta could not verify wagen's callback {url}: it must be reachable from "
                    "Meta over https and answer the handshake (check WAGEN_ONBOARDING_PUBLIC_URL)",
                    tenant_id=tenant_id,
                ) from exc
            raise MetaAppNotSubscribedError(
                f"Meta refused to subscribe the app to WABA {waba_id} (code {exc.vendor_code}): "
                "the token needs whatsapp_business_management on it",
                tenant_id=tenant_id,
            ) from exc
        except ConnectorError as exc:
            raise meta_failure(exc, "subscribe the app", tenant_id) from exc

    def _stored(
        self,
        given: MetaCredentialsInput,
        waba_id: str,
        previous: MetaCredentials | None,
        *,
        wagen: bool,
    ) -> MetaCredentials:
        old_secret, until = carried_previous(
            old_current=previous.app_secret if previous else None,
            old_previous=previous.previous_app_secret if previous else None,
            old_until=previous.previous_secret_expires_at if previous else None,
            new=given.app_secret,
            now=self._now(),
            window_s=self._settings.rotation_window_s,
        )
        return MetaCredentials(
            app_secret=given.app_secret,
            verify_token=given.verify_token,
            access_token=given.access_token,
            phone_number_id=given.phone_number_id,
            waba_id=waba_id,
            subscribed_by_wagen=wagen,
            previous_app_secret=old_secret,
            previous_secret_expires_at=until,
        )


def _connection(
    info: PhoneNumberInfo, waba_id: str, url: str, subscribed_by_wagen: bool
) -> MetaConnection:
    return MetaConnection(
        phone_number_id=info.id,
        display_phone_number=info.display_phone_number,
        verified_name=info.verified_name,
        quality_rating=info.quality_rating,
        throughput_level=info.throughput.level if info.throughput else None,
        status=info.status,
        waba_id=waba_id,
        callback_url=url,
        subscribed_by_wagen=subscribed_by_wagen,
    )


@asynccontextmanager
async def _mapped(step: str, tenant_id: str) -> AsyncIterator[None]:
    try:
        yield
    except ConnectorError as exc:
        raise meta_failure(exc, step, tenant_id) from exc
