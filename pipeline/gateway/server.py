"""Serving the gateway: the public listener, with a deadline on request headers, and the
metrics listener apart from it.

aiohttp bounds the wait for a request body only through our middleware (``body_timeout``)
and the wait for a *next* request with its keep-alive timeout (75 s, counted from the
connection's start too). A client that opens many connections and trickles its headers
held each for that long. Here a new connection must deliver its first request's headers
within ``WAGEN_GATEWAY_HEADER_TIMEOUT_S``, else it gets 408 and is closed; later requests
on a kept-alive connection follow aiohttp's keep-alive timeout, which load balancers rely
on being longer than their own idle timeout.

``/metrics`` is not on the public port at all: it is served, with ``/healthz``, on
``WAGEN_GATEWAY_METRICS_HOST``:``_PORT`` (loopback by default), behind
``WAGEN_METRICS_TOKEN`` when set.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any, Final

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_server import Server

from pipeline.metrics.http import MetricsServer
from pipeline.settings import WagenSettings

log = logging.getLogger(__name__)

_TIMEOUT_BODY: Final = b'{"error": {"code": "http_408", "message": "request headers too slow"}}'
_REQUEST_TIMEOUT: Final = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY
)


KEEPALIVE_TIMEOUT_S: Final = 75.0
"""Idle time of a kept-alive connection before it is closed: aiohttp's ``run_app`` default,
longer than common load balancers' idle timeouts (60 s), so they never reuse a connection
the gateway is closing."""


class HeaderDeadlineHandler(RequestHandler):
    """aiohttp's connection handler, closing a connection whose first request's headers do
    not arrive within ``header_timeout_s`` (with a 408, as nginx does)."""

    def __init__(self, manager: Server, *, header_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._header_timeout_s = header_timeout_s
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the clock for the first request's headers."""
        super().connection_made(transport)
        loop = asyncio.get_running_loop()
        self._header_timer = loop.call_later(self._header_timeout_s, self._headers_overdue)

    def connection_lost(self, exc: BaseException | None) -> None:
        """Stop the clock."""
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _headers_overdue(self) -> None:
        self._header_timer = None
        # aiohttp counts a request once its headers are parsed (a malformed one too).
        if self._request_count == 0 and self.transport is not None:
            self.transport.write(_REQUEST_TIMEOUT)
            self.force_close()  # closes the transport once the 408 is flushed


class HeaderDeadlineSite(web.BaseSite):
    """A TCP site whose connections are :class:`HeaderDeadlineHandler`s."""

    def __init__(
        self, runner: web.AppRunner, host: str, port: int, *, header_timeout_s: float
    ) -> None:
        super().__init__(runner)
        self._app_runner = runner
        self._host = host
        self._port = port
        self._header_timeout_s = header_timeout_s

    @property
    def name(self) -> str:
        """``http://host:port``."""
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        """Bind and listen."""
        await super().start()
        server = self._app_runner.server
        assert server is not None  # BaseSite.__init__ refuses a runner not set up

        def handler() -> HeaderDeadlineHandler:
            return HeaderDeadlineHandler(
                server,
                loop=asyncio.get_running_loop(),
                header_timeout_s=self._header_timeout_s,
                keepalive_timeout=KEEPALIVE_TIMEOUT_S,
                access_log=None,
            )

        self._server = await asyncio.get_running_loop().create_server(
            handler, self._host, self._port, reuse_address=True, backlog=self._backlog
        )


def metrics_listener(settings: WagenSettings) -> MetricsServer:
    """The gateway's ``/metrics`` (and ``/healthz``) listener, apart from the public port."""
    gateway = settings.gateway
    return MetricsServer(gateway.metrics_host, gateway.metrics_port, settings.metrics.token)


async def serve(app: web.Application, settings: WagenSettings) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, then close every connection and client."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()  # runs the app's cleanup contexts up to their yield
    try:
        gateway = settings.gateway
        site = HeaderDeadlineSite(
            runner, gateway.host, gateway.port, header_timeout_s=gateway.header_timeout_s
        )
        await site.start()
        metrics = metrics_listener(settings)
        await metrics.start()
        try:
            log.info("gateway serving", extra={"host": gateway.host, "port": gateway.port})
            await stop.wait()
        finally:
            await metrics.stop()
    finally:
        await runner.cleanup()
