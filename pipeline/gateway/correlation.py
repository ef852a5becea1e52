"""The outermost middleware: each request gets its correlation id before anything logs.

The id is the caller's ``X-Request-Id`` or ``X-Correlation-Id`` when sane, else a new one;
it is what ``tenancy.http.context.request_id`` returns for the request (so the webhook
record's ``request_id`` header and the audit log carry the same id), it is bound for the
request's log lines with the tenant of the path, and it is echoed in the response.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from pipeline.telemetry.correlation import (
    CORRELATION_ID_HTTP_HEADER,
    REQUEST_ID_HTTP_HEADER,
    LogContext,
    bound,
    incoming_id,
    new_id,
)
from tenancy.http.context import REQUEST_ID_KEY


@web.middleware
async def correlation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind the request's correlation id (and path tenant) for its logs; echo the id."""
    rid = incoming_id(request.headers) or new_id()
    request[REQUEST_ID_KEY] = rid
    tenant = request.match_info.get("tenant") or request.match_info.get("tenantId")
    with bound(LogContext(correlation_id=rid, tenant_id=tenant)):
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # a redirect or an error nothing inside turned to JSON
            exc.headers[REQUEST_ID_HTTP_HEADER] = rid
            raise
    response.headers[REQUEST_ID_HTTP_HEADER] = rid
    if CORRELATION_ID_HTTP_HEADER in request.headers:
        response.headers[CORRELATION_ID_HTTP_HEADER] = rid
    return response
