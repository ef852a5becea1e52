"""``GET /metrics``: the process's registry in Prometheus text (or OpenMetrics) format.

Metrics are never on the gateway's public port: they name tenants and show traffic. Each
process serves them on a listener of its own, :class:`MetricsServer` (the gateway on
``WAGEN_GATEWAY_METRICS_HOST``/``_PORT``, the worker, which runs no web server for Faust,
on ``WAGEN_WORKER_METRICS_HOST``/``_PORT``), both on loopback unless a deployment says
otherwise, and behind ``WAGEN_METRICS_TOKEN`` (``Authorization: Bearer``) when set. The
listener's ``/healthz`` answers without the token, for liveness probes.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

import mode
from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from pydantic import SecretStr

log = logging.getLogger(__name__)


async def metrics_view(request: web.Request) -> web.Response:
    """Every series of this process, in the format the scraper asked for."""
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return web.Response(body=encode(REGISTRY), headers={"Content-Type": content_type})


async def _alive(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _token_guard(token: SecretStr) -> Middleware:
    expected = f"Bearer {token.get_secret_value()}".encode()

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/metrics":
            given = request.headers.get(hdrs.AUTHORIZATION, "").encode(errors="replace")
            if not hmac.compare_digest(given, expected):
                return web.json_response(
                    {"error": {"code": "unauthenticated", "message": "metrics token required"}},
                    status=401,
                    headers={hdrs.WWW_AUTHENTICATE: "Bearer"},
                )
        return await handler(request)

    return require_token


def metrics_app(token: SecretStr | None = None) -> web.Application:
    """``/metrics`` (behind ``token`` when given) and an open ``/healthz``."""
    app = web.Application(middlewares=[_token_guard(token)] if token is not None else [])
    app.router.add_get("/metrics", metrics_view)
    app.router.add_get("/healthz", _alive)
    return app


class MetricsServer(mode.Service):
    """Serves ``/metrics`` and ``/healthz`` of a process on a listener of their own.

    A port already taken is logged as an error and the process goes on without the
    endpoint: carrying messages matters more than counting them.

    Args:
        host: the address to bind.
        port: the port; 0 picks a free one (logged, and in :attr:`port`).
        token: when set, ``/metrics`` requires ``Authorization: Bearer <token>``.
    """

    def __init__(self, host: str, port: int, token: SecretStr | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._host = host
        self._port = port
        self._token = token
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int | None:
        """The port being served, once started (None when not serving)."""
        if self._runner is None:
            return None
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                return int(address[1])
        return None

    async def on_start(self) -> None:
        """Bind and serve."""
        runner = web.AppRunner(metrics_app(self._token), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as exc:
            await runner.cleanup()
            log.error(
                "metrics endpoint not started: %s",
                exc.strerror or exc,
                extra={"host": self._host, "port": self._port},
            )
            return
        self._runner = runner
        log.info("metrics endpoint serving", extra={"host": self._host, "port": self.port})

    async def on_stop(self) -> None:
        """Stop serving."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
