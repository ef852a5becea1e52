"""``/healthz`` (the process is alive) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

from aiohttp import web

from pipeline.gateway.keys import CHECKS_KEY, SETTINGS_KEY
from pipeline.gateway.readiness import check_all


async def healthz(request: web.Request) -> web.Response:
    """Liveness: answers as long as the event loop runs; touches no dependency."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 when every dependency answers, 503 with the culprits otherwise."""
    settings = request.app[SETTINGS_KEY]
    checks = request.app[CHECKS_KEY]
    verdicts = await check_all(checks, settings.gateway.readiness_timeout_s)
    ready = all(v.ok for v in verdicts.values())
    body = {
        "status": "ready" if ready else "not_ready",
        "dependencies": {name: v.as_json() for name, v in verdicts.items()},
    }
    return web.json_response(body, status=200 if ready else 503)
