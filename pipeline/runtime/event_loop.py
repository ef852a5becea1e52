"""Which asyncio event loop the long-running processes use.

uvloop (libuv) runs the gateway's and the worker's I/O — sockets to clients, Kafka,
PostgreSQL, Redis and the vendors — with less CPU per round trip than the standard loop;
`make bench` measures the difference (README "Performance and reliability").
``WAGEN_EVENT_LOOP=asyncio`` keeps the standard loop (e.g. to debug with asyncio's tools).
"""

from __future__ import annotations

import asyncio
from typing import Literal

EventLoop = Literal["uvloop", "asyncio"]


def install(choice: EventLoop) -> None:
    """Make ``choice`` the loop every ``asyncio.run``/``new_event_loop`` creates from now on."""
    if choice == "uvloop":
        import uvloop  # a compiled extension: imported only when chosen

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    else:
        asyncio.set_event_loop_policy(None)
