"""Counting webhook requests at the gateway: received, and rejected by reason.

:func:`counted` wraps an ingress handler, so the handlers stay as they are: it sees the
exception a refused request ends with (before the error middleware turns it into JSON) and
maps it to a reason from a closed set. The tenant label is the path's tenant only once the
handler has verified the request's signature with that tenant's secret
(:func:`tenant_verified`); anything refused before that (an unknown tenant, a bad signature
for a real one) is counted under ``_unknown``, so nobody can mint series by inventing paths,
nor learn from the metrics which tenants exist or are being probed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

import asyncpg
import redis.exceptions
from aiohttp import web

from pipeline.metrics.labels import OTHER, UNKNOWN_TENANT
from pipeline.metrics.record import shared_tenant, tenant_label, webhook_finished
from schemas.errors import WagenError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

VERIFIED_TENANT: Final = web.RequestKey("metrics_verified_tenant", str)

REASON_BY_CODE: Final = {
    "signature_invalid": "bad_signature",
    "invalid_request": "malformed",
    "tenant_not_found": "unknown_tenant",
    "tenant_suspended": "suspended",
    "kafka_unavailable": "kafka_unavailable",
    "phone_number_not_owned": "unowned_number",
    "credentials_missing": "credentials_missing",
    "shared_app_not_configured": "shared_app_missing",
    "auth_throttled": "throttled",
    "vault_unavailable": "dependency_unavailable",
    "credential_store_unavailable": "dependency_unavailable",
}
"""Rejection reason per error ``code``; a subclass without an entry takes its parent's."""

_UNAVAILABLE: Final = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def rejection_reason(exc: BaseException) -> str:
    """Why a webhook request was refused, as a label value."""
    if isinstance(exc, WagenError):
        for cls in type(exc).__mro__:
            code = vars(cls).get("code")
            if isinstance(code, str) and code in REASON_BY_CODE:
                return REASON_BY_CODE[code]
        return OTHER
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return "too_large"
    if isinstance(exc, _UNAVAILABLE):
        return "dependency_unavailable"
    return OTHER


def tenant_verified(request: web.Request, tenant_id: str) -> None:
    """The request is signed with ``tenant_id``'s own secret: label the request with it."""
    request[VERIFIED_TENANT] = tenant_id


def _tenant_of(request: web.Request) -> str:
    verified = request.get(VERIFIED_TENANT)
    return tenant_label(verified) if verified else tenant_label.marker(UNKNOWN_TENANT)


def counted(source: str, handler: Handler, *, shared: bool = False) -> Handler:
    """``handler`` with every request counted as received, and as rejected when it raises.

    Args:
        source: ``meta`` or ``genesys``.
        handler: an ingress handler that answers 2xx or raises.
        shared: the shared Meta app's route: its requests are labelled ``_shared``.
    """

    async def observed(request: web.Request) -> web.StreamResponse:
        failure: Exception | None = None
        try:
            return await handler(request)
        except Exception as exc:
            failure = exc
            raise
        finally:
            tenant = shared_tenant() if shared else _tenant_of(request)
            reason = None if failure is None else rejection_reason(failure)
            webhook_finished(source, tenant, reason)

    return observed
