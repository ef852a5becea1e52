"""The one error middleware: our exceptions become ``{"error": {"code", "message"}}`` JSON.

Statuses are looked up by class along the exception's MRO, so a new error subclass inherits
its category's status. Anything unexpected is logged with its traceback and answered with a
bland 500 that reveals nothing; a dependency that is down is a 503 the client may retry.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import redis.exceptions
from aiohttp import web
from aiohttp.typedefs import Handler

from connectors.errors import SignatureError
from connectors.meta.errors import MetaHandshakeError
from pipeline.kafka.client import KafkaUnavailableError
from pipeline.metrics import record as metrics
from schemas.errors import WagenError
from tenancy.errors import (
    AuthenticationError,
    AuthThrottledError,
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    QuotaExceededError,
    RateLimitedError,
    TenancyError,
    UnprocessableError,
    VendorUnavailableError,
)
from tenancy.http.context import REQUEST_ID_HEADER, request_id
from tenancy.vault import VaultUnavailableError

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[BaseException], int] = {
    InvalidRequestError: 400,
    AuthenticationError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    RateLimitedError: 429,
    QuotaExceededError: 429,
    AuthThrottledError: 429,
    VaultUnavailableError: 503,
    UnprocessableError: 422,
    VendorUnavailableError: 503,
    SignatureError: 401,
    # Meta's documented answer to a wrong verify token on the GET handshake.
    MetaHandshakeError: 403,
    KafkaUnavailableError: 503,
}
"""HTTP status per error class; the nearest class in the MRO wins, else 500."""

_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
}


def status_of(exc: BaseException) -> int:
    """The HTTP status for an exception of ours."""
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> web.Response:
    """The JSON error body every failure gets."""
    return web.json_response(
        {"error": {"code": code, "message": message, **(details or {})}}, status=status
    )


def _from_wagen(exc: WagenError, rid: str) -> web.Response:
    status = status_of(exc)
    details = exc.public_details() if isinstance(exc, TenancyError) else {}
    if status >= 500:
        log.warning(
            "request failed",
            extra={"code": exc.code, "tenant_id": exc.tenant_id, "request_id": rid},
        )
        message = exc.message if exc.retriable else "internal error"
    else:
        message = exc.message
    response = error_response(status, exc.code, message, details)
    if isinstance(exc, RateLimitedError | QuotaExceededError):
        metrics.request_throttled(exc)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        response.headers["X-RateLimit-Limit"] = str(exc.limit)
    elif isinstance(exc, AuthThrottledError):  # counted where it is raised (auth_throttle)
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost middleware: maps failures to JSON and stamps ``X-Request-Id``."""
    rid = request_id(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, f"http_{exc.status}")
        response = error_response(exc.status, code, exc.reason)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except WagenError as exc:
        response = _from_wagen(exc, rid)
    except _UNAVAILABLE as exc:
        log.warning(
            "dependency unavailable", extra={"error": type(exc).__name__, "request_id": rid}
        )
        response = error_response(503, "dependency_unavailable", "a dependency is unavailable")
    except Exception:
        log.exception("unhandled error", extra={"request_id": rid})
        response = error_response(500, "internal_error", "internal error")
    response.headers[REQUEST_ID_HEADER] = rid
    return response
