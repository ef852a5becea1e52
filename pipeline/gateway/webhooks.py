"""Webhook ingress: verify, store in Kafka, acknowledge — nothing else on the hot path.

Each handler checks the signature on the raw bytes, publishes those bytes unchanged
(keyed by tenant; parsing happens in the worker, and the original stays replayable) and
answers 200 only once Kafka has the record on all in-sync replicas. Kafka unavailable →
503, so Meta and Genesys retry; a body over the limit is refused by aiohttp with 413.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from connectors.errors import SignatureMismatchError
from connectors.meta.errors import MetaHandshakeError
from connectors.meta.handshake import verify_handshake
from connectors.signatures import SIGNATURE_HEADER, verify_genesys_signature, verify_meta_signature
from pipeline.gateway.keys import PRODUCER_KEY, TENANT_SECRETS_KEY
from pipeline.gateway.meta_numbers import business_numbers, decode, split_by_owner
from pipeline.gateway.tenant_secrets import CredentialsMissingError, TenantSecrets
from pipeline.kafka.topics import GENESYS_WEBHOOKS, WA_WEBHOOKS, WA_WEBHOOKS_QUARANTINE
from pipeline.metrics import record as metrics
from pipeline.metrics.ingress import counted, tenant_verified
from tenancy.errors import (
    ForbiddenError,
    InvalidRequestError,
    TenantNotFoundError,
    TenantSuspendedError,
)
from tenancy.http.context import ONBOARDING_KEY, request_id

log = logging.getLogger(__name__)


class PhoneNumberNotOwnedError(ForbiddenError):
    """A webhook names a business number the receiving tenant (or any tenant) does not own."""

    code = "phone_number_not_owned"


async def meta_handshake(request: web.Request) -> web.Response:
    """Meta's GET subscription check: echo the challenge for our verify token, else 403."""
    tenant_id = request.match_info["tenant"]
    secrets = request.app[TENANT_SECRETS_KEY]
    await secrets.active_tenant(tenant_id)
    try:
        credentials = await secrets.meta(tenant_id)
        challenge = verify_handshake(request.query, credentials.verify_token, tenant_id=tenant_id)
    except (MetaHandshakeError, CredentialsMissingError):
        # Onboarding checks the callback right after storing a (new) verify token: read again.
        secrets.forget_credentials(tenant_id)
        credentials = await secrets.meta(tenant_id)
        challenge = verify_handshake(request.query, credentials.verify_token, tenant_id=tenant_id)
    return web.Response(text=challenge, content_type="text/plain")


async def meta_webhook(request: web.Request) -> web.Response:
    """A tenant's Meta webhook → ``wa.webhooks``; another tenant's number → quarantine."""

    async def secret(secrets: TenantSecrets, tenant_id: str) -> list[str]:
        return (await secrets.meta(tenant_id)).signing_secrets(datetime.now(UTC))

    async def owned(body: bytes, tenant_id: str) -> None:
        foreign = business_numbers(decode(body)) - await secrets_of(request).owned_numbers(
            tenant_id
        )
        if foreign:
            numbers = ",".join(sorted(foreign))
            await _quarantine(request, body, tenant_id, "number_not_owned", numbers)
            raise PhoneNumberNotOwnedError(
                f"tenant {tenant_id!r} does not own business number(s) {numbers}",
                tenant_id=tenant_id,
            )

    return await _ingest(request, "meta", WA_WEBHOOKS, verify_meta_signature, secret, owned)


async def shared_meta_handshake(request: web.Request) -> web.Response:
    """The handshake of the operator's shared Meta app."""
    app = await secrets_of(request).shared_meta_app()
    return web.Response(
        text=verify_handshake(request.query, app.verify_token), content_type="text/plain"
    )


async def shared_meta_webhook(request: web.Request) -> web.Response:
    """The shared Meta app's webhook: each change goes to the tenant owning its number.

    Parts naming a number no active tenant owns are never forwarded: they are quarantined,
    logged, and the request is refused (403), after the owned parts have been stored.
    """
    received_ms = time.time_ns() // 1_000_000
    secrets = secrets_of(request)
    body = await request.read()
    header = request.headers.get(SIGNATURE_HEADER)
    try:
        verify_meta_signature(body, header, [(await secrets.shared_meta_app()).app_secret])
    except SignatureMismatchError:
        secrets.forget_shared_app()
        verify_meta_signature(body, header, [(await secrets.shared_meta_app()).app_secret])
    decoded = decode(body)
    if not isinstance(decoded, dict):
        await _quarantine(request, body, "", "not_json", "")
        raise InvalidRequestError("the webhook body is not a JSON object")
    owners = {n: await _active_owner(secrets, n) for n in business_numbers(decoded)}
    refused: list[str] = []
    for part in split_by_owner(decoded, owners):
        numbers = ",".join(sorted(part.numbers))
        if part.tenant_id is None:
            await _quarantine(request, part.body, "", "number_not_owned", numbers)
            refused.append(numbers or "(none)")
            continue
        await _publish(request, WA_WEBHOOKS, part.tenant_id, part.body, "meta-shared", received_ms)
    if refused:
        raise PhoneNumberNotOwnedError(
            f"no tenant owns business number(s) {', '.join(refused)}; the changes were quarantined"
        )
    return stored_response()


async def _active_owner(secrets: TenantSecrets, number: str) -> str | None:
    owner = await secrets.number_owner(number)
    if owner is None:
        return None
    try:
        await secrets.active_tenant(owner)
    except (TenantNotFoundError, TenantSuspendedError):
        return None
    return owner


async def _quarantine(
    request: web.Request, body: bytes, tenant_id: str, reason: str, numbers: str
) -> None:
    log.warning(
        "webhook quarantined",
        extra={"tenant_id": tenant_id, "reason": reason, "phone_number_ids": numbers},
    )
    metrics.webhook_quarantined(tenant_id, reason)
    await request.app[PRODUCER_KEY].publish(
        WA_WEBHOOKS_QUARANTINE,
        key=(numbers or tenant_id).encode(),
        value=body,
        headers=[
            ("tenant_id", tenant_id.encode()),
            ("quarantine_reason", reason.encode()),
            ("phone_number_ids", numbers.encode()),
            ("received_at_ms", str(time.time_ns() // 1_000_000).encode()),
            ("request_id", request_id(request).encode()),
        ],
    )


_STORED_BODY = b'{"status": "stored"}'


def stored_response() -> web.Response:
    """The acknowledgement of a stored webhook (its body serialised once, not per request)."""
    return web.Response(body=_STORED_BODY, content_type="application/json")


def secrets_of(request: web.Request) -> TenantSecrets:
    """The gateway's cached tenant secrets."""
    return request.app[TENANT_SECRETS_KEY]


async def genesys_webhook(request: web.Request) -> web.Response:
    """A tenant's Genesys outbound webhook → ``genesys.webhooks``."""

    async def secret(secrets: TenantSecrets, tenant_id: str) -> list[str]:
        # During a rotation the previous secret verifies too, until its window ends.
        return (await secrets.genesys(tenant_id)).signing_secrets(datetime.now(UTC))

    return await _ingest(request, "genesys", GENESYS_WEBHOOKS, verify_genesys_signature, secret)


async def _ingest(
    request: web.Request,
    source: str,
    topic: str,
    verify: Callable[..., None],
    secret_of: Callable[[TenantSecrets, str], Awaitable[list[str]]],
    check: Callable[[bytes, str], Awaitable[None]] | None = None,
) -> web.Response:
    received_ms = time.time_ns() // 1_000_000
    tenant_id = request.match_info["tenant"]
    secrets = secrets_of(request)
    await secrets.active_tenant(tenant_id)
    tenant_verified(request, tenant_id)
    body = await request.read()
    log.debug("webhook received", extra={"source": source, "bytes": len(body)})
    header = request.headers.get(SIGNATURE_HEADER)
    try:
        verify(body, header, await secret_of(secrets, tenant_id), tenant_id=tenant_id)
    except SignatureMismatchError:
        # Maybe the secret was rotated since we cached it: read Vault once more.
        secrets.forget_credentials(tenant_id)
        verify(body, header, await secret_of(secrets, tenant_id), tenant_id=tenant_id)
    if check is not None:
        await check(body, tenant_id)
    await _publish(request, topic, tenant_id, body, source, received_ms)
    return stored_response()


async def _publish(
    request: web.Request, topic: str, tenant_id: str, body: bytes, source: str, received_ms: int
) -> None:
    await request.app[PRODUCER_KEY].publish(
        topic,
        key=tenant_id.encode(),
        value=body,
        headers=[
            ("tenant_id", tenant_id.encode()),
            ("source", source.encode()),
            ("received_at_ms", str(received_ms).encode()),
            ("request_id", request_id(request).encode()),
            ("content_type", request.headers.get("Content-Type", "").encode()),
        ],
    )
    metrics.webhook_stored(source, tenant_id)
    request.app[ONBOARDING_KEY].activity.note(tenant_id, source)
    # DEBUG: a line per webhook would cost the gateway a tenth of its throughput; the
    # metrics count them, and the worker logs each message it carries.
    log.debug(
        "webhook stored",
        extra={"tenant_id": tenant_id, "topic": topic, "source": source, "bytes": len(body)},
    )


def add_webhook_routes(app: web.Application) -> None:
    """Register the ingress routes (authenticated by signature, not by tenant credentials)."""
    app.router.add_get("/webhooks/meta", shared_meta_handshake)
    app.router.add_post("/webhooks/meta", counted("meta", shared_meta_webhook, shared=True))
    app.router.add_get("/webhooks/meta/{tenant}", meta_handshake)
    app.router.add_post("/webhooks/meta/{tenant}", counted("meta", meta_webhook))
    app.router.add_post("/webhooks/genesys/{tenant}", counted("genesys", genesys_webhook))
