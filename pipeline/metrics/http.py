"""``GET /metrics``: the process's registry in Prometheus text (or OpenMetrics) format.

The gateway adds :func:`metrics_view` to its own app (public like ``/healthz``: it carries
counts, never secrets; keep it off the internet at the proxy if tenant ids are private).
The worker runs no web server for Faust (``web_enabled=False``), so :class:`MetricsServer`
serves the same view on ``WAGEN_WORKER_METRICS_HOST``/``_PORT``, as a ``mode.Service``
started and stopped with the Faust app.
"""

from __future__ import annotations

import logging
from typing import Any

import mode
from aiohttp import web
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder

log = logging.getLogger(__name__)


async def metrics_view(request: web.Request) -> web.Response:
    """Every series of this process, in the format the scraper asked for."""
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return web.Response(body=encode(REGISTRY), headers={"Content-Type": content_type})


class MetricsServer(mode.Service):
    """Serves ``/metrics`` for the worker.

    A port already taken is logged as an error and the worker goes on without the
    endpoint: carrying messages matters more than counting them.

    Args:
        host: the address to bind.
        port: the port; 0 picks a free one (logged, and in :attr:`port`).
    """

    def __init__(self, host: str, port: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._host = host
        self._port = port
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
        app = web.Application()
        app.router.add_get("/metrics", metrics_view)
        runner = web.AppRunner(app, access_log=None)
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
