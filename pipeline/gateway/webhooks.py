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
from secrets import token_urlsafe
from typing import Final, Literal

from aiohttp import web

from connectors.errors import SIGNATURE_ERRORS, SignatureFailure
from connectors.meta.errors import HandshakeRejection, MetaHandshakeError
from connectors.meta.handshake import verify_handshake
from connectors.signatures import (
    GENESYS_SIGNATURE,
    META_SIGNATURE,
    SIGNATURE_HEADER,
    SignatureScheme,
)
from pipeline.gateway.keys import PRODUCER_KEY, TENANT_SECRETS_KEY
from pipeline.gateway.meta_numbers import business_numbers, count_changes, decode, split_by_owner
from pipeline.gateway.tenant_secrets import SecretKind, TenantSecrets
from pipeline.kafka.topics import GENESYS_WEBHOOKS, WA_WEBHOOKS, WA_WEBHOOKS_QUARANTINE
from pipeline.metrics import record as metrics
from pipeline.metrics.ingress import counted, tenant_verified
from tenancy.errors import ForbiddenError, InvalidRequestError, TenantSuspendedError
from tenancy.http.context import ONBOARDING_KEY, client_address, request_id, services
from tenancy.http.json_body import unstorable_reason

log = logging.getLogger(__name__)


class PhoneNumberNotOwnedError(ForbiddenError):
    """A webhook names a business number the receiving tenant (or any tenant) does not own."""

    code = "phone_number_not_owned"


class NoChangesError(InvalidRequestError):
    """A signed shared-app body names no change at all, so there is nothing to deliver."""

    code = "no_changes"


# Checked against when a tenant has no secret (unknown, deleted, no credentials): every
# refusal without a valid signature then takes the same path and answers the same.
_DECOY_SECRET: Final = token_urlsafe(32)


async def meta_handshake(request: web.Request) -> web.Response:
    """Meta's GET subscription check: echo the challenge for our verify token, else 403 (the
    same 403 for an unknown tenant, one without Meta credentials, and a wrong token)."""
    tenant_id = request.match_info["tenant"]
    secrets = secrets_of(request)
    tenant = await secrets.tenant(tenant_id)
    token = await secrets.verify_token(tenant_id) if tenant is not None else None
    try:
        try:
            challenge = verify_handshake(
                _query(request), token or _DECOY_SECRET, tenant_id=tenant_id
            )
        except MetaHandshakeError as exc:
            # Onboarding checks the callback right after storing a new verify token: read it
            # again, at most once per interval (an unauthenticated caller cannot make more).
            if tenant is None or exc.rejection is not HandshakeRejection.TOKEN:
                raise
            if await secrets.reread("meta", tenant_id) is None:
                raise
            token = await secrets.verify_token(tenant_id)
            challenge = verify_handshake(
                _query(request), token or _DECOY_SECRET, tenant_id=tenant_id
            )
        if tenant is None or token is None:  # the decoy matched: nobody's token, never a pass
            raise MetaHandshakeError(HandshakeRejection.TOKEN, tenant_id=tenant_id)
    except MetaHandshakeError as exc:
        if exc.rejection is HandshakeRejection.TOKEN:  # a guess of the verify token
            await services(request).auth_throttle.failed("webhook", client_address(request))
        raise
    if tenant.status != "active":
        raise TenantSuspendedError(f"tenant {tenant_id!r} is suspended", tenant_id=tenant_id)
    return web.Response(text=challenge, content_type="text/plain")


async def meta_webhook(request: web.Request) -> web.Response:
    """A tenant's Meta webhook → ``wa.webhooks``; another tenant's number → quarantine."""

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

    return await _ingest(request, "meta", WA_WEBHOOKS, META_SIGNATURE, owned)


async def shared_meta_handshake(request: web.Request) -> web.Response:
    """The handshake of the operator's shared Meta app."""
    app = await secrets_of(request).shared_meta_app()
    challenge = verify_handshake(_query(request), app.verify_token)
    return web.Response(text=challenge, content_type="text/plain")


def _query(request: web.Request) -> dict[str, str]:
    """The handshake's parameters, without any a token could not be compared with (a lone
    surrogate cannot even be encoded): such a parameter is as good as absent."""
    return {k: v for k, v in request.query.items() if unstorable_reason(k + v) is None}


async def shared_meta_webhook(request: web.Request) -> web.Response:
    """The shared Meta app's webhook: each change goes to the tenant owning its number.

    Parts naming a number no active tenant owns are never forwarded: they are quarantined,
    logged, and the request is refused (403), after the owned parts have been stored. A body
    with no change at all is quarantined too and refused (400): "stored" would be a lie.
    """
    received_ms = time.time_ns() // 1_000_000
    secrets = secrets_of(request)
    await secrets.shared_meta_app()  # 404 when this wagen runs none
    body = await request.read()
    await _verify(request, "shared-meta", "", body, META_SIGNATURE)  # the app's own key: ""
    decoded = decode(body)
    if not isinstance(decoded, dict):
        await _quarantine(request, body, "", "not_json", "")
        raise InvalidRequestError("the webhook body is not a JSON object")
    if count_changes(decoded) == 0:
        await _quarantine(request, body, "", "no_changes", "")
        raise NoChangesError("the webhook body holds no change (entry[].changes[]) to deliver")
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
    return owner if owner is not None and await secrets.active(owner) else None


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
    return await _ingest(request, "genesys", GENESYS_WEBHOOKS, GENESYS_SIGNATURE)


async def _verify(
    request: web.Request,
    kind: SecretKind,
    tenant_id: str | None,
    body: bytes,
    scheme: SignatureScheme,
) -> None:
    """Pass a valid signature; else count the failure against the client and refuse it.

    A mismatch may mean the secret was rotated since it was cached: the secrets are read
    again, at most once per interval (so bad requests cannot hammer Vault). Without any
    secret (``tenant_id`` None: unknown or deleted; or no credentials of the kind) the decoy
    is checked instead, so every refusal takes the same path and gets the same answer.
    """
    secrets = secrets_of(request)
    header = request.headers.get(SIGNATURE_HEADER)
    accepted = [] if tenant_id is None else await secrets.secrets(kind, tenant_id)
    failure = scheme.check(body, header, accepted or [_DECOY_SECRET])
    if failure is SignatureFailure.MISMATCH and accepted and tenant_id is not None:
        again = await secrets.reread(kind, tenant_id)
        if again:
            failure = scheme.check(body, header, again)
    if failure is None and accepted:
        return
    if accepted and tenant_id and secrets.refusals_logged.allow(kind, tenant_id):
        # A real tenant's (the metrics cannot say which: the request proved nothing).
        log.warning(
            "webhook signature refused",
            extra={"tenant_id": tenant_id, "source": kind, "failure": str(failure or "mismatch")},
        )
    throttle = services(request).auth_throttle
    await throttle.failed("webhook", client_address(request))  # 429 past the limit
    raise SIGNATURE_ERRORS[failure or SignatureFailure.MISMATCH](scheme.vendor)


async def _ingest(
    request: web.Request,
    source: Literal["meta", "genesys"],
    topic: str,
    scheme: SignatureScheme,
    check: Callable[[bytes, str], Awaitable[None]] | None = None,
) -> web.Response:
    received_ms = time.time_ns() // 1_000_000
    tenant_id = request.match_info["tenant"]
    secrets = secrets_of(request)
    if not secrets.known_here(tenant_id):
        # A client past its failure limit costs no store lookup for a tenant not cached.
        services(request).auth_throttle.check_here("webhook", client_address(request))
    tenant = await secrets.tenant(tenant_id)
    body = await request.read()
    log.debug("webhook received", extra={"source": source, "bytes": len(body)})
    await _verify(request, source, tenant_id if tenant else None, body, scheme)
    assert tenant is not None  # _verify passes only with a tenant's own secret
    tenant_verified(request, tenant_id)
    if tenant.status != "active":
        raise TenantSuspendedError(f"tenant {tenant_id!r} is suspended", tenant_id=tenant_id)
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
