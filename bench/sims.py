"""The Meta and Genesys simulators in a process of their own, timing each message's arrival.

``python -m bench.sims GENESYS_PORT META_PORT`` serves the real simulator apps of
``connectors/sandbox`` with one middleware added: when the simulator accepts a Genesys
inbound message or a Meta send that carries a benchmark id, the wall-clock time is kept.
``GET /_bench/arrivals?prefix=RUN`` (on either port) returns ``{id: time}`` of both, and
``GET /_bench/count?prefix=RUN`` how many, ``GET /_bench/doubled?prefix=RUN`` the ids
accepted more than once, with their count (the soak's "doubled"). Tenants are registered
through the simulators' own control routes, as a test or ``wagen sandbox`` would.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time
from collections import Counter

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from connectors.sandbox.genesys import create_genesys_app
from connectors.sandbox.meta import create_meta_app

_GENESYS_ID = re.compile(rb'"messageId"\s*:\s*"wamid\.bench-([A-Za-z0-9_-]+)"')
_META_ID = re.compile(rb"bench:([A-Za-z0-9_-]+)")
ARRIVALS: web.AppKey[dict[str, float]] = web.AppKey("arrivals", dict)
ACCEPTED: web.AppKey[Counter[str]] = web.AppKey("accepted", Counter)


def _recorder(
    pattern: re.Pattern[bytes], arrivals: dict[str, float], accepted: Counter[str], path_part: str
) -> Middleware:
    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 200 and path_part in request.path:
            found = pattern.search(await request.read())
            if found:
                bench_id = found.group(1).decode()
                arrivals.setdefault(bench_id, time.time())
                accepted[bench_id] += 1
        return response

    return record


async def arrivals(request: web.Request) -> web.Response:
    """``{id: arrival time}`` of the ids starting with ``prefix``."""
    prefix = request.query.get("prefix", "")
    found = {k: v for k, v in request.app[ARRIVALS].items() if k.startswith(prefix)}
    return web.json_response(found)


async def count(request: web.Request) -> web.Response:
    """How many ids starting with ``prefix`` have arrived."""
    prefix = request.query.get("prefix", "")
    return web.json_response(sum(1 for k in request.app[ARRIVALS] if k.startswith(prefix)))


async def doubled(request: web.Request) -> web.Response:
    """``{id: times accepted}`` of the ids starting with ``prefix`` accepted more than once."""
    prefix = request.query.get("prefix", "")
    found = {k: n for k, n in request.app[ACCEPTED].items() if n > 1 and k.startswith(prefix)}
    return web.json_response(found)


def _with_bench_routes(
    app: web.Application, found: dict[str, float], accepted: Counter[str]
) -> web.Application:
    app[ARRIVALS] = found
    app[ACCEPTED] = accepted
    app.router.add_get("/_bench/arrivals", arrivals)
    app.router.add_get("/_bench/count", count)
    app.router.add_get("/_bench/doubled", doubled)
    return app


async def serve(genesys_port: int, meta_port: int) -> None:
    """Serve both simulators until cancelled."""
    found: dict[str, float] = {}
    accepted: Counter[str] = Counter()
    genesys = create_genesys_app()
    genesys.middlewares.append(_recorder(_GENESYS_ID, found, accepted, "/inbound/open/message"))
    meta = create_meta_app()
    meta.middlewares.append(_recorder(_META_ID, found, accepted, "/messages"))
    runners = []
    for app, port in ((genesys, genesys_port), (meta, meta_port)):
        runner = web.AppRunner(_with_bench_routes(app, found, accepted), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
    try:
        await asyncio.Event().wait()
    finally:
        for runner in runners:
            await runner.cleanup()


def main() -> None:
    """``python -m bench.sims GENESYS_PORT META_PORT``; SIGTERM stops it."""
    genesys_port, meta_port = (int(a) for a in sys.argv[1:3])
    loop = asyncio.new_event_loop()
    task = loop.create_task(serve(genesys_port, meta_port))
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass
    finally:
        loop.close()


if __name__ == "__main__":
    main()
