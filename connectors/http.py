"""The one outbound HTTP pool of a process, shared by the Meta and Genesys clients.

:class:`HttpTransport` owns the aiohttp session: created once per process with an explicit
:meth:`~HttpTransport.start` / :meth:`~HttpTransport.stop` (or ``async with``), used before
start it fails with a clear message, and dropped without stop it warns. The session carries
no credentials: each tenant's token travels in the headers of its own request, so one pool
serves every tenant and no tenant's auth can leak into another's call.

Every request gets a timeout and an ``X-Request-Id``, is logged without headers or query
(tokens and signed URLs stay out of logs), and a transport failure (timeout, connection) is
raised as one :class:`~connectors.errors.ConnectorTransportError`.
"""

from __future__ import annotations

import logging
import time
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDictProxy

from connectors.errors import ConnectorTransportError
from connectors.metrics import NULL_OBSERVER, CallStatus, ConnectorObserver

log = logging.getLogger(__name__)

REQUEST_ID_HEADER: Final = "X-Request-Id"
"""The header carrying our id of one logical call (the same on every retry of it)."""

USER_AGENT: Final = "wagen/0.1 (+aiohttp)"

_CHUNK: Final = 64 * 1024


class TransportNotStartedError(RuntimeError):
    """The transport was used before ``await start()`` or after ``await stop()``."""


class ResponseTooLargeError(Exception):
    """A response body exceeded the caller's ``max_bytes``; the rest was not read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"response body larger than {limit} bytes")
        self.limit = limit


def new_request_id() -> str:
    """A fresh request id: 32 hex characters."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A response read in full.

    Attributes:
        status: the HTTP status.
        headers: the response headers (case-insensitive).
        body: the raw body.
        request_id: our request id of the call.
    """

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    request_id: str

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        """The media type of the body, without parameters (``""`` when absent)."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def loggable_url(url: str) -> str:
    """``url`` without its query and fragment: signed media URLs carry secrets there."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class HttpTransport:
    """The process's outbound HTTP pool (start once, stop once).

    Args:
        limit: the most connections open at once, over every host.
        limit_per_host: the most to one host (0 = no per-host cap).
        observer: told of every request's status and duration (metrics).
    """

    def __init__(
        self,
        *,
        limit: int = 100,
        limit_per_host: int = 0,
        observer: ConnectorObserver = NULL_OBSERVER,
    ) -> None:
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._observer = observer
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the pool; starting twice is a bug and says so."""
        if self._session is not None:
            raise RuntimeError("HttpTransport.start() called twice")
        connector = aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._limit_per_host)
        self._session = aiohttp.ClientSession(
            connector=connector, headers={"User-Agent": USER_AGENT}
        )
        log.info("outbound HTTP pool started", extra={"limit": self._limit})

    async def stop(self) -> None:
        """Close the pool; safe to call when it was never started or is already closed."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()
            log.info("outbound HTTP pool stopped")

    async def __aenter__(self) -> HttpTransport:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def __del__(self) -> None:
        session = getattr(self, "_session", None)
        if session is not None and not session.closed:
            warnings.warn(
                "HttpTransport was never stopped: await transport.stop() at shutdown",
                ResourceWarning,
                stacklevel=2,
            )

    @property
    def started(self) -> bool:
        """Whether requests can be made."""
        return self._session is not None and not self._session.closed

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            raise TransportNotStartedError(
                "HttpTransport is not started: await transport.start() (or use "
                "`async with HttpTransport()`) once at process start, before any client call"
            )
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        *,
        vendor: str,
        operation: str,
        timeout_s: float,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        data: Any = None,
        max_bytes: int = 10 * 1024 * 1024,
        tenant_id: str | None = None,
    ) -> HttpResponse:
        """Make one request and read its whole body; never raises for an HTTP status.

        Args:
            method: ``GET``, ``POST``...
            url: the absolute URL.
            vendor: ``"meta"`` or ``"genesys"``, for errors and logs.
            operation: names the call in errors and logs (``send``, ``token``...).
            timeout_s: total time allowed, connection to last byte.
            request_id: the id of the logical call (a new one when ``None``).
            headers: request headers (auth goes here, per tenant, per request).
            params: query parameters.
            data: the body: ``bytes``, or an ``aiohttp.FormData`` for multipart.
            max_bytes: the largest body read; beyond it :class:`ResponseTooLargeError`.
            tenant_id: the tenant the call is for, for errors and logs.

        Raises:
            TransportNotStartedError: the transport is not started.
            ConnectorTransportError: timeout, connection failure or broken response.
            ResponseTooLargeError: the body exceeds ``max_bytes``.
        """
        session = self._require_session()
        rid = request_id or new_request_id()
        sent_headers = {**(headers or {}), REQUEST_ID_HEADER: rid}
        started = time.monotonic()
        facts = {"vendor": vendor, "operation": operation, "request_id": rid}
        status: CallStatus = "transport_error"
        try:
            async with session.request(
                method,
                url,
                headers=sent_headers,
                params=params,
                data=data,
                timeout=aiohttp.ClientTimeout(total=timeout_s),
                allow_redirects=False,
            ) as response:
                body = await _read_body(response, max_bytes)
                result = HttpResponse(response.status, response.headers, body, rid)
                status = response.status
        except TimeoutError as exc:
            status = "timeout"
            raise _transport_error(
                f"{vendor} {operation}: no answer within {timeout_s:g} s",
                facts,
                timed_out=True,
                maybe_sent=True,
                tenant_id=tenant_id,
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            status = "connect_error"
            raise _transport_error(
                f"{vendor} {operation}: cannot connect to {urlsplit(url).netloc}",
                facts,
                timed_out=False,
                maybe_sent=False,
                tenant_id=tenant_id,
            ) from exc
        except aiohttp.ClientError as exc:
            raise _transport_error(
                f"{vendor} {operation}: {type(exc).__name__}",
                facts,
                timed_out=False,
                maybe_sent=True,
                tenant_id=tenant_id,
            ) from exc
        finally:
            elapsed = time.monotonic() - started
            self._observer.http_call(vendor, operation, status, elapsed, tenant_id)
        log.debug(
            "%s %s -> %s",
            method,
            loggable_url(url),
            result.status,
            extra={
                **facts,
                "tenant_id": tenant_id,
                "elapsed_ms": round(elapsed * 1000),
            },
        )
        return result


async def _read_body(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise ResponseTooLargeError(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise ResponseTooLargeError(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _transport_error(
    message: str,
    facts: Mapping[str, str],
    *,
    timed_out: bool,
    maybe_sent: bool,
    tenant_id: str | None,
) -> ConnectorTransportError:
    return ConnectorTransportError(
        message,
        vendor=facts["vendor"],
        operation=facts["operation"],
        timed_out=timed_out,
        maybe_sent=maybe_sent,
        request_id=facts["request_id"],
        tenant_id=tenant_id,
    )
